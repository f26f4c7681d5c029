import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { Adminer } from '../../constructs/adminer';
import { GenericService } from '../../constructs/generic-service';
import { OneShotJob } from '../../constructs/one-shot-job';
import { Postgres } from '../../constructs/postgres';
import { SingletonService } from '../../constructs/singleton-service';
import { TraefikProxy } from '../../constructs/traefik-proxy';
import { WebService } from '../../constructs/web-service';
import { dockerStack } from './harness';

describe('WebService', () => {
  it('defaults to two health-checked replicas named <env>-<service>-<n> that wait for health', () => {
    const { containers } = dockerStack((s) => new WebService(s, 'api', { host: 'main', image: 'ghcr.io/acme/api', tag: 'sha-1234567', port: 8000, health: '/health' }));
    expect(Object.keys(containers)).toEqual(['svc_api_1', 'svc_api_2']);
    const c = containers.svc_api_2;
    expect(c.name).toBe('unit-api-2');
    expect(c.hostname).toBe('unit-api-2');
    expect(c.restart).toBe('unless-stopped');
    expect(c.healthcheck).toEqual({ test: ['CMD', 'curl', '-fsS', '-o', '/dev/null', 'http://localhost:8000/health'], interval: '10s', timeout: '5s', retries: 5, start_period: '10s' });
    expect(c.wait).toBe(true);
    expect(c.log_opts).toEqual({ 'max-file': '3', 'max-size': '10m' });
    expect(c.networks_advanced).toEqual([{ name: '${docker_network.network_main_private.name}', aliases: ['api'] }]);
  });

  it('turns cpus and memory into limits and escapes ${ in plain settings', () => {
    const { containers } = dockerStack((s) => new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, resources: { cpus: 0.5, memory: '3g' }, env: { GREETING: 'hi ${name}' } }));
    expect(containers.svc_api_1.cpus).toBe('0.5');
    expect(containers.svc_api_1.memory).toBe(3072);
    expect(containers.svc_api_1.env).toContain('GREETING=hi $${name}');
  });

  it('gives another workload its URL when used', () => {
    const { containers } = dockerStack((s) => {
      const api = new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, health: '/h' });
      new GenericService(s, 'worker', { host: 'main', image: 'x/w:1' }).uses(api);
    });
    expect(containers.svc_worker_1.env).toContain('API_URL=http://api:8000');
    expect(containers.svc_worker_1.depends_on).toEqual(['docker_container.svc_api_1', 'docker_container.svc_api_2']);
  });
});

describe('SingletonService', () => {
  it('runs exactly one replica by default', () => {
    const { containers, problems } = dockerStack((s) => new SingletonService(s, 'orchestrator', { host: 'main', image: 'x/o:1' }));
    expect(Object.keys(containers)).toEqual(['svc_orchestrator_1']);
    expect(problems).toEqual([]);
  });
  it('is reported when asked for more', () => {
    const { problems } = dockerStack((s) => new SingletonService(s, 'orchestrator', { host: 'main', image: 'x/o:1', replicas: 3 }));
    expect(problems).toEqual(['orchestrator is a singleton and must run exactly 1 replica, got 3; remove `replicas` or use kind: web']);
  });
});

describe('OneShotJob', () => {
  it('runs to completion once, fails the deploy by name, and gates its dependents', () => {
    const { containers } = dockerStack((s) => {
      const db = new Postgres(s, 'db', { host: 'main', password: 'DB_PASSWORD' });
      const job = new OneShotJob(s, 'prestart', { host: 'main', image: 'x/api:1', command: ['bash', 'scripts/prestart.sh'] }).uses(db);
      new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, health: '/h' }).after(job);
    });
    const j = containers.svc_prestart_1;
    expect([j.must_run, j.attach, j.restart, j.wait]).toEqual([false, true, 'no', undefined]);
    expect(j.lifecycle.postcondition[0].condition).toBe('${self.exit_code == 0}');
    expect(j.lifecycle.postcondition[0].error_message).toContain('one-shot job "prestart" of environment "unit" failed');
    expect(containers.svc_api_1.depends_on).toEqual(['docker_container.svc_prestart_1']);
  });
});

describe('Adminer', () => {
  it('is routed by the proxy and refused in production', () => {
    const build = (s: any) => {
      new TraefikProxy(s, 'proxy', { host: 'main', version: 'v3.6.12' });
      new Adminer(s, 'adminer', { host: 'main', route: 'Host(`adminer.example.com`)', version: '5.3.0' });
    };
    const dev = dockerStack(build);
    expect(dev.problems).toEqual([]);
    expect(dev.containers.svc_adminer_1.labels).toContainEqual({ label: 'traefik.http.services.unit-adminer.loadbalancer.server.port', value: '8080' });
    expect(dockerStack(build, { production: true }).problems).toEqual(['Adminer is not allowed in a production environment; remove it or set production: false']);
  });
});

describe('EnvironmentStack', () => {
  it('keeps local state per environment under a git-ignored folder, by a relative path', () => {
    const { json } = dockerStack(() => undefined);
    expect(json.terraform.backend).toEqual({ local: { path: '../../../.stackyard/state/unit.tfstate' } });
  });

  it('turns every declared secret into a sensitive, non-nullable variable and nothing else', () => {
    const { json } = dockerStack(() => undefined, { secrets: ['B_TOKEN', 'A_KEY'] });
    // the state encryption passphrase, and the secrets' versions (keyed hashes, lib/deploy/secret-versions.ts)
    expect(Object.keys(json.variable)).toEqual(['A_KEY', 'B_TOKEN', 'STACKYARD_SECRET_VERSIONS', 'STATE_PASSPHRASE']);
    expect(json.variable.A_KEY).toEqual({ type: 'string', sensitive: true, nullable: false, description: 'Secret A_KEY; give it at deploy time as TF_VAR_A_KEY.' });
    expect(json.variable.A_KEY.default).toBeUndefined();
  });

  it('fails cdktf synthesis of a stack built from code when an invariant is broken', () => {
    const { stack } = dockerStack((s) => new SingletonService(s, 'o', { host: 'main', image: 'x/o:1', replicas: 2 }));
    expect(() => Testing.synth(stack, true)).toThrow(/o is a singleton and must run exactly 1 replica/);
  });
});
