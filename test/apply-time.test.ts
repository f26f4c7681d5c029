/**
 * Apply-time correctness of the Docker target (issue 17): attributes in the form the provider
 * reads back (no perpetual replacement), graceful stops, secret files a non-root image can read,
 * and job timeouts the provider honours. Each block failed on the code before the fix.
 */
import { describe, expect, it } from 'vitest';
import { CeleryWorker } from '../constructs/celery-worker';
import { Grafana } from '../constructs/grafana';
import { OneShotJob } from '../constructs/one-shot-job';
import { Postgres } from '../constructs/postgres';
import { Prometheus } from '../constructs/prometheus';
import { Redis } from '../constructs/redis';
import { TraefikProxy } from '../constructs/traefik-proxy';
import { WebService } from '../constructs/web-service';
import { WorkerPool } from '../constructs/worker-pool';
import { STOP_GRACE_SECONDS } from '../lib/service';
import { dockerStack } from './constructs/harness';
import { errors, MINIMAL, synth } from './helpers';

const containersOf = (files: Record<string, string>) => synth(files).test.resource.docker_container as Record<string, any>;

describe('attributes are written as the provider reads them back', () => {
  it('cpus: a whole number is "1.0", as NanoCPUs read back (was "1": replaced on every plan)', () => {
    const { containers } = dockerStack((s) => {
      new Postgres(s, 'db', { host: 'main', password: 'DB_PASSWORD', resources: { cpus: 1 } });
      new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, resources: { cpus: 2 } });
      new WebService(s, 'small', { host: 'main', image: 'x/api:1', port: 8000, resources: { cpus: 0.25 } });
    });
    expect(containers.svc_db_1.cpus).toBe('1.0');
    expect(containers.svc_api_1.cpus).toBe('2.0');
    expect(containers.svc_small_1.cpus).toBe('0.25');
  });

  it('cpus the provider would read back as another value are a positioned error', () => {
    const file = MINIMAL.replace('    uses: [db]', '    uses: [db]\n    resources: { cpus: 0.05 }');
    expect(errors({ 'env.yaml': file })).toEqual([
      'env.yaml:16:18 services.api.resources.cpus: cpus 0.05 is read back by the docker provider as another value (it rounds some small fractions), so every plan would replace the container; use a limit such as 0.1, 0.25, 0.5 or 1.5',
    ]);
  });

  it('ports: ordered by internal port, as the provider reads them back (was by name: the proxy was replaced on every deploy)', () => {
    const { containers } = dockerStack((s) => new TraefikProxy(s, 'proxy', { host: 'main', entrypoints: { websecure: 443, web: 80 }, dashboard: { port: 18080 } }));
    expect(containers.svc_proxy_1.ports.map((p: any) => p.internal)).toEqual([80, 443, 8080]);
  });

  it('memory_swap: set to the memory limit when there is one (left unset, Docker stores twice the memory and every plan changes it)', () => {
    const { containers } = dockerStack((s) => {
      new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, resources: { memory: '768m' } });
      new WebService(s, 'free', { host: 'main', image: 'x/api:1', port: 8000 });
    });
    expect([containers.svc_api_1.memory, containers.svc_api_1.memory_swap]).toEqual([768, 768]);
    expect(containers.svc_free_1).not.toHaveProperty('memory_swap');
  });

  it('healthcheck durations of a minute or more read back as Go prints them ("1m0s", "1m30s")', () => {
    const { containers } = dockerStack((s) => new WebService(s, 'api', {
      host: 'main', image: 'x/api:1', port: 8000, healthcheck: { test: 'true', interval: '60s', timeout: '1500ms', startPeriod: '1m30s' },
    }));
    expect(containers.svc_api_1.healthcheck).toMatchObject({ interval: '1m0s', timeout: '1.5s', start_period: '1m30s' });
  });
});

describe('graceful stops', () => {
  const stack = () => dockerStack((s) => {
    const db = new Postgres(s, 'db', { host: 'main', password: 'DB_PASSWORD' });
    const redis = new Redis(s, 'redis', { host: 'main', password: 'REDIS_PASSWORD' });
    new Prometheus(s, 'prometheus', { host: 'main' });
    new Grafana(s, 'grafana', { host: 'main', adminPassword: 'JWT_SECRET' });
    new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000 }).uses(db);
    new CeleryWorker(s, 'worker', { host: 'main', image: 'x/api:1', app: 'app.worker' }).uses(redis);
    new WorkerPool(s, 'backtest', { image: 'x/api:1', command: ['work'], type: 'backtesting', hosts: { main: 1 } });
  });

  it('every container gets a destroy grace period and the same stop timeout (was none: SIGKILL at once)', () => {
    const { containers } = stack();
    const grace = Object.fromEntries(Object.entries(containers).map(([k, c]) => [k, [c.destroy_grace_seconds, c.stop_timeout]]));
    expect(grace).toEqual({
      svc_db_1: [60, 60], svc_redis_1: [60, 60], svc_prometheus_1: [60, 60], svc_grafana_1: [60, 60],
      svc_api_1: [10, 10], svc_api_2: [10, 10], svc_worker_1: [120, 120], svc_backtest_main_1: [120, 120],
    });
    expect(STOP_GRACE_SECONDS).toEqual({ default: 10, stateful: 60, worker: 120 });
  });

  it('Postgres stops with SIGINT (fast shutdown, the official image\'s STOPSIGNAL); others keep their image\'s signal', () => {
    const { containers } = stack();
    expect(containers.svc_db_1.stop_signal).toBe('SIGINT');
    expect(containers.svc_redis_1).not.toHaveProperty('stop_signal');
  });

  it('an environment file sets its own grace period', () => {
    const c = containersOf({ 'env.yaml': MINIMAL.replace('    uses: [db]', '    uses: [db]\n    stopGracePeriod: 45s') });
    expect([c.svc_api_1.destroy_grace_seconds, c.svc_api_1.stop_timeout]).toEqual([45, 45]);
    expect(c.svc_db_1.destroy_grace_seconds).toBe(60);
  });
});

describe('secret files a non-root image can read', () => {
  it('stay 0400 root-only for root readers, with no extra group', () => {
    const { containers } = dockerStack((s) => new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, secrets: ['JWT_SECRET'] }));
    expect(containers.svc_api_1.upload).toEqual([{ file: '/run/secrets/JWT_SECRET', content: '${var.JWT_SECRET}', permissions: '0400' }]);
    expect(containers.svc_api_1).not.toHaveProperty('group_add');
  });

  it('become 0440 and the container joins group root when the image runs as another user (secretsOwner)', () => {
    const c = containersOf({ 'env.yaml': MINIMAL.replace('    uses: [db]', '    uses: [db]\n    secretsOwner: { uid: 1000, gid: 1000 }') });
    expect(c.svc_api_1.upload.map((u: any) => [u.file, u.permissions])).toEqual([
      ['/run/secrets/DATABASE_URL', '0440'], ['/run/secrets/DB_PASSWORD', '0440'], ['/run/secrets/JWT_SECRET', '0440'],
    ]);
    expect(c.svc_api_1.group_add).toEqual(['0']);
    expect(c.svc_db_1.upload.map((u: any) => u.permissions)).toEqual(['0400']); // the Postgres entrypoint reads as root
    expect(c.svc_db_1).not.toHaveProperty('group_add');
  });

  it('Grafana (uid 472, primary group root) reads its admin password from a 0440 file, no longer world-readable', () => {
    const { containers } = dockerStack((s) => new Grafana(s, 'grafana', { host: 'main', adminPassword: 'JWT_SECRET' }));
    const modes = Object.fromEntries(containers.svc_grafana_1.upload.map((u: any) => [u.file, u.permissions]));
    expect(modes['/run/secrets/JWT_SECRET']).toBe('0440');
    expect(modes['/etc/grafana/provisioning/datasources/stackyard.yaml']).toBe('0444');
    expect(containers.svc_grafana_1).not.toHaveProperty('group_add');
  });

  it('leave world-readable configuration files as they are and add no group when nothing needs it', () => {
    const { containers } = dockerStack((s) => new Prometheus(s, 'prometheus', { host: 'main' }));
    expect(containers.svc_prometheus_1.upload.map((u: any) => u.permissions)).toEqual(['0444']);
    expect(containers.svc_prometheus_1).not.toHaveProperty('group_add');
  });
});

describe('one-shot jobs', () => {
  it('get a create timeout from their own timeout (the provider gives up after 20 minutes otherwise)', () => {
    const { containers } = dockerStack((s) => {
      new OneShotJob(s, 'migrate', { host: 'main', image: 'x/api:1', command: ['migrate'], timeout: 3600 });
      new OneShotJob(s, 'seed', { host: 'main', image: 'x/api:1', command: ['seed'] });
    });
    expect(containers.svc_migrate_1.timeouts).toEqual({ create: '3600s' });
    expect(containers.svc_seed_1.timeouts).toEqual({ create: '600s' });
  });

  it('take the timeout from the environment file', () => {
    const c = containersOf({ 'env.yaml': MINIMAL + '  migrate: { kind: job, image: ghcr.io/acme/api, tag: "1.0", command: [migrate], timeout: 2700 }\n' });
    expect(c.svc_migrate_1.timeouts).toEqual({ create: '2700s' });
    expect(c.svc_api_1).not.toHaveProperty('timeouts');
  });
});
