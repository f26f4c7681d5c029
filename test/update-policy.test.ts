/**
 * The update policy (lib/update-policy.ts) and what the Docker target makes of it: defaults per
 * kind, positioned errors for impossible requests, and the synthesized start-first machinery
 * (revisioned names, create_before_destroy, the parallelism chain, the drain gate, Traefik
 * retries). The real-engine proof is test/e2e/stack.test.ts and `npm run bench:rolling`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';
import { unhealthyReport } from '../lib/deploy/health-report';
import { phaseOneKeys } from '../lib/deploy/phases';
import { RETRY } from '../lib/docker/render';
import { UPDATE_DEFAULTS } from '../lib/update-policy';
import { errors, MINIMAL, shared, synth } from './helpers';

const ROOT = path.resolve(__dirname, '..');
function local(): any {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'stackyard-update-'));
  const { app } = buildApp([path.join(ROOT, 'environments', 'local.yaml')], out);
  app.synth();
  return JSON.parse(fs.readFileSync(path.join(out, 'stacks', 'local', 'cdk.tf.json'), 'utf8'));
}
const env = (extra: string) => synth({ 'env.yaml': MINIMAL + extra }).test;
const containers = (s: any) => s.resource.docker_container as Record<string, any>;
const label = (c: any, name: string) => c.labels.find((l: any) => l.label === name)?.value;

describe('defaults per kind', () => {
  const sOf = shared(() => local());

  it('routed services (web, routed service, adminer) are start-first: revisioned names, create_before_destroy, wait for health', () => {
    const c = containers(sOf());
    for (const k of ['svc_backend_1', 'svc_backend_2', 'svc_frontend_1', 'svc_frontend_2', 'svc_adminer_1']) {
      expect(c[k].lifecycle?.create_before_destroy, k).toBe(true);
      expect(c[k].name, k).toMatch(/^local-[a-z]+-\d-\$\{substr\(terraform_data\.revision_[a-z]+\.id, 0, 8\)\}$/);
      // the replica's own name stays as its hostname
      expect(c[k].hostname, k).toBe(k.replace(/^svc_(\w+)_(\d)$/, 'local-$1-$2'));
    }
    expect(c.svc_backend_1.wait).toBe(true);
  });

  it('singletons, stateful kinds, the proxy (fixed host ports) and unrouted services are stop-first: fixed names, no create_before_destroy', () => {
    const c = containers(sOf());
    for (const k of ['svc_orchestrator_1', 'svc_db_1', 'svc_redis_1', 'svc_proxy_1', 'svc_watcher_1', 'svc_celery_worker_1']) {
      expect(c[k].lifecycle?.create_before_destroy, k).toBeUndefined();
      expect(c[k].name, k).toBe(k.replace(/^svc_(\w+)_(\d)$/, 'local-$1-$2').replace('celery_worker', 'celery-worker'));
    }
  });

  it('stop grace: the kind default (Postgres 60 s) unless the policy gives one', () => {
    const c = containers(sOf());
    expect(c.svc_db_1.destroy_grace_seconds).toBe(60);
    expect(c.svc_backend_1.destroy_grace_seconds).toBe(10);
    const e = containers(env('    update: { stopGraceSeconds: 45 }\n'));
    expect([e.svc_api_1.destroy_grace_seconds, e.svc_api_1.stop_timeout]).toEqual([45, 45]);
  });

  it('one new replica at a time by default: replica 2 waits for replica 1', () => {
    const c = containers(sOf());
    expect(UPDATE_DEFAULTS.parallelism).toBe(1);
    expect(c.svc_backend_2.depends_on).toContain('docker_container.svc_backend_1');
    expect(c.svc_backend_1.depends_on).not.toContain('docker_container.svc_backend_2');
  });

  it('the drain gate sleeps drainSeconds after the new replicas, so the old ones stop only then', () => {
    const s = sOf();
    const gate = s.resource.terraform_data.drain_backend;
    expect(gate.provisioner).toEqual([{ 'local-exec': { command: `sleep ${UPDATE_DEFAULTS.drainSeconds}` } }]);
    expect(gate.triggers_replace.containers).toEqual(['${docker_container.svc_backend_1.id}', '${docker_container.svc_backend_2.id}']);
    expect(s.resource.terraform_data.drain_orchestrator).toBeUndefined();
  });

  it('every routed service retries connection errors on another server', () => {
    const c = containers(sOf());
    expect(label(c.svc_backend_1, 'traefik.http.routers.local-backend.middlewares')).toBe('local-backend-retry');
    expect(label(c.svc_backend_1, 'traefik.http.middlewares.local-backend-retry.retry.attempts')).toBe(String(RETRY.attempts));
  });

  it('one-shot jobs get revisioned names (a start-first dependent may recreate them create-before-destroy) and their message names the container', () => {
    const c = containers(sOf());
    expect(c.svc_prestart_1.name).toMatch(/^local-prestart-1-\$\{/);
    expect(c.svc_prestart_1.lifecycle.postcondition[0].error_message).toContain('(container ${self.name} exited non-zero)');
  });
});

describe('the revision in a name', () => {
  const revision = (extra: string) => env(extra).resource.terraform_data.revision_api.triggers_replace;
  const base = shared(() => revision(''));

  it('is replaced with what replaces the containers, and only then', () => {
    expect(revision('    env: { FEATURE: "on" }\n').settings).not.toBe(base().settings);
    expect(revision('    command: [serve, --fast]\n').settings).not.toBe(base().settings);
    expect(revision('    resources: { memory: 256m }\n').settings).not.toBe(base().settings);
    expect(revision('  other: { kind: redis, password: DB_PASSWORD }\n')).toEqual(base());
  });

  it('takes the image id and the recorded secret versions (the values without state encryption) from Terraform; a name holds only the random id', () => {
    expect(base().image).toBe('${docker_image.image_main_ghcr_io_acme_api_1_0.image_id}');
    expect(base().secret_DB_PASSWORD).toBe('${terraform_data.secret_version_DB_PASSWORD.output}');
    expect(base().secret_JWT_SECRET).toBe('${terraform_data.secret_version_JWT_SECRET.output}');
    expect(revision('state: { backend: local, encryption: false }\n').secret_JWT_SECRET).toBe('${var.JWT_SECRET}');
    expect(containers(env('')).svc_api_1.name).toBe('test-api-1-${substr(terraform_data.revision_api.id, 0, 8)}');
  });
});

describe('policy settings', () => {
  it('parallelism 2 starts two new replicas at once; stop-first needs no chain', () => {
    const c = containers(env('    replicas: 4\n    update: { parallelism: 2 }\n'));
    expect(c.svc_api_2.depends_on).not.toContain('docker_container.svc_api_1');
    expect(c.svc_api_3.depends_on).toContain('docker_container.svc_api_1');
    expect(c.svc_api_4.depends_on).toContain('docker_container.svc_api_2');
  });

  it('stop-first on a routed service: a fixed name and no create_before_destroy, no drain gate', () => {
    const s = env('    update: { order: stop-first }\n');
    expect(containers(s).svc_api_1.name).toBe('test-api-1');
    expect(containers(s).svc_api_1.lifecycle?.create_before_destroy).toBeUndefined();
    expect(s.resource.terraform_data?.drain_api).toBeUndefined();
  });

  it('drainSeconds: 0 leaves the gate out', () => {
    expect(env('    update: { drainSeconds: 0 }\n').resource.terraform_data?.drain_api).toBeUndefined();
    expect(env('    update: { drainSeconds: 12 }\n').resource.terraform_data.drain_api.provisioner[0]['local-exec'].command).toBe('sleep 12');
  });
});

describe('impossible or malformed policies are positioned errors', () => {
  const bad = (extra: string) => errors({ 'env.yaml': MINIMAL + extra });
  it.each([
    ['unknown order', '    update: { order: sideways }\n', 'env.yaml:17:15 services.api.update.order: expected one of "start-first", "stop-first", got "sideways"'],
    ['negative drain', '    update: { drainSeconds: -1 }\n', 'env.yaml:17:15 services.api.update.drainSeconds: must be at least 0, got number -1'],
    ['fractional parallelism', '    update: { parallelism: 1.5 }\n', 'env.yaml:17:15 services.api.update.parallelism: expected an integer, got number 1.5'],
    ['unknown key', '    update: { order: stop-first, drain: 3 }\n', 'env.yaml:17:34 services.api.update.drain: unknown key; allowed here: drainSeconds, order, parallelism, stopGraceSeconds'],
    ['grace twice', '    stopGracePeriod: 30s\n    update: { stopGraceSeconds: 30 }\n', 'env.yaml:18:15 services.api.update.stopGraceSeconds: the stop grace period is given twice: here and as `stopGracePeriod`; keep one'],
    ['parallelism on stop-first', '    update: { order: stop-first, parallelism: 2 }\n', 'env.yaml:17:34 services.api.update.parallelism: parallelism applies to start-first updates; api is stop-first (api asks for stop-first), and its replicas are replaced together'],
    ['drainSeconds on stop-first', '    update: { order: stop-first, drainSeconds: 5 }\n', 'env.yaml:17:34 services.api.update.drainSeconds: drainSeconds applies to start-first updates; api is stop-first (api asks for stop-first); stopGraceSeconds is its time to finish'],
  ])('%s', (_n, extra, line) => {
    expect(bad(extra)).toEqual([line]);
  });

  it('start-first on a singleton, a database or a service publishing a host port says why not', () => {
    expect(errors({ 'env.yaml': MINIMAL + '  orchestrator: { kind: singleton, image: ghcr.io/acme/api, tag: "1.0", update: { order: start-first } }\n' })).toEqual([
      'env.yaml:17:83 services.orchestrator.update.order: start-first is not possible: orchestrator is a singleton: two copies must never run, not even during an update; use order: stop-first',
    ]);
    expect(errors({ 'env.yaml': MINIMAL + '  tool: { kind: service, image: ghcr.io/acme/tool, ports: { admin: { container: 9000, publish: 9000 } }, update: { order: start-first } }\n' })).toEqual([
      'env.yaml:17:116 services.tool.update.order: start-first is not possible: tool publishes host port 9000: the new container cannot bind it while the old one holds it; use order: stop-first',
    ]);
  });

  it('no problem where the request is possible: start-first with its knobs, or only a grace period on a singleton', () => {
    expect(Object.keys(env('    update: { order: start-first, parallelism: 2, drainSeconds: 3 }\n').resource.docker_container)).toContain('svc_api_1');
    expect(Object.keys(env('  orchestrator: { kind: singleton, image: ghcr.io/acme/api, tag: "1.0", update: { stopGraceSeconds: 10 } }\n').resource.docker_container)).toContain('svc_orchestrator_1');
  });

  it('a one-shot job has no update policy', () => {
    expect(errors({ 'env.yaml': MINIMAL + '  migrate: { kind: job, image: ghcr.io/acme/api, tag: "1.0", command: [migrate], update: { stopGraceSeconds: 5 } }\n' })).toEqual([
      'env.yaml:17:92 services.migrate.update.stopGraceSeconds: migrate runs to completion (kind: job); it has no update policy, remove `update:`',
    ]);
  });
});

describe('deploy phases with start-first services', () => {
  it('phase 1 keeps start-first containers and their dependents out, and holds what they use', () => {
    expect(phaseOneKeys(local())).toEqual(['svc_db_1', 'svc_prestart_1', 'svc_proxy_1', 'svc_redis_1', 'svc_watcher_1']);
  });

  it('without a job, a database a start-first service uses still gets a phase 1 (forced create_before_destroy would clash on its name)', () => {
    expect(phaseOneKeys(env(''))).toEqual(['svc_db_1', 'svc_proxy_1']);
    expect(phaseOneKeys(env('    update: { order: stop-first }\n'))).toEqual([]);
  });
});

describe('the report of a replica that never became healthy', () => {
  it('names service, replica and container, with the last lines of its health output; healthy ones and ones without a healthcheck are left out', () => {
    const lines = unhealthyReport([
      { Name: '/e2e-backend-2-bbbb', Config: { Labels: { 'stackyard.service': 'backend', 'stackyard.replica': '2' } }, State: { Status: 'running', Health: { Status: 'healthy', Log: [] } } },
      { Name: '/e2e-worker-1', Config: { Labels: { 'stackyard.service': 'worker', 'stackyard.replica': '1' } }, State: { Status: 'running' } },
      {
        Name: '/e2e-backend-1-aaaa', Config: { Labels: { 'stackyard.service': 'backend', 'stackyard.replica': '1' } },
        State: { Status: 'running', Health: { Status: 'unhealthy', Log: Array.from({ length: 7 }, (_, i) => ({ ExitCode: 22, Output: `curl: (22) The requested URL returned error: 503 (#${i})\n` })) } },
      },
    ]);
    expect(lines).toEqual([[
      'service backend, replica 1: container e2e-backend-1-aaaa is unhealthy, not healthy; the replicas it was to replace keep serving',
      '  last health output:',
      ...[2, 3, 4, 5, 6].map((i) => `    (exit 22) curl: (22) The requested URL returned error: 503 (#${i})`),
    ].join('\n')]);
  });

  const replica = (service: string | undefined, replica: string | undefined, state: Record<string, unknown> | undefined) =>
    ({ Name: `/x-${service}-${replica}`, ...(service ? { Config: { Labels: { 'stackyard.service': service, ...(replica ? { 'stackyard.replica': replica } : {}) } } } : {}), ...(state ? { State: state } : {}) }) as never;

  it('sorted by service, then replica as a number (2 before 10); a container without State, labels or log is reported or skipped without failing', () => {
    const starting = { Status: 'running', Health: { Status: 'starting' } };
    const lines = unhealthyReport([
      replica('web', '10', starting),
      replica('api', '1', starting),
      replica('web', '2', starting),
      replica('gone', '1', undefined),
      replica(undefined, undefined, starting),
    ]);
    expect(lines.map((l) => l.split(':')[0])).toEqual(['service ?, replica ?', 'service api, replica 1', 'service web, replica 2', 'service web, replica 10']);
    expect(lines[1]).toBe('service api, replica 1: container x-api-1 is starting, not healthy; the replicas it was to replace keep serving\n  no health output yet');
    expect(unhealthyReport([replica('web', undefined, starting)])[0]).toMatch(/^service web, replica \?: /);
  });

  it('a container that is not running says its state too; output lines are split, blank ones dropped, ends trimmed, only a leading slash of the name goes', () => {
    const [line] = unhealthyReport([{
      Name: '/a/b', Config: { Labels: { 'stackyard.service': 's', 'stackyard.replica': '1' } },
      State: { Status: 'exited', Health: { Status: 'unhealthy', Log: [{ ExitCode: 1, Output: '  first  \n\nsecond\t\n' }, { Output: 'no code' }] } },
    }]);
    expect(line).toBe([
      'service s, replica 1: container a/b is exited, unhealthy, not healthy; the replicas it was to replace keep serving',
      '  last health output:',
      '    (exit 1)   first',
      '    (exit 1) second',
      '    (exit ?) no code',
    ].join('\n'));
  });
});
