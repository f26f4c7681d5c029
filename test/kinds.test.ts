/** The kind registry: every kind in one file, and fields that used to be dropped on the way to the output. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../constructs/index';
import { SERVICE_KINDS } from '../lib/config/schema';
import { loadEnvironments } from '../lib/environments';
import { errors, synth, twoHostEnvironment, writeFiles } from './helpers';

const env = (services: string) => `name: k
hosts:
  main: { docker: "unix:///var/run/docker.sock", address: 10.0.0.1 }
secrets: [DB_PASSWORD, REDIS_PASSWORD]
services:
  proxy: { kind: traefik, entrypoints: { web: 8001 } }
${services}`;

describe('the kind registry', () => {
  it('lists each kind once, and `kind:` takes exactly those (test/schema.test.ts: it lists every kind file)', () => {
    const names = KINDS.map((k) => k.kind);
    expect(new Set(names).size).toBe(names.length);
    expect([...SERVICE_KINDS].sort()).toEqual([...names].sort());
  });
});

describe("README's table of kinds", () => {
  it('has a row for every kind', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('| kind | construct | notes |')).split('\n\n')[0];
    const rows = table.split('\n').filter((l) => l.startsWith('| `')).map((l) => l.split('|')[1]);
    expect(rows.length).toBeGreaterThan(10);
    expect(KINDS.map((k) => k.kind).filter((k) => !rows.some((r) => r.includes(`\`${k}\``)))).toEqual([]);
  });
});

describe('a unit test file per construct', () => {
  it('test/constructs/<kind file>.test.ts exists for every file of constructs/, on the shared harness', () => {
    const root = path.join(__dirname, '..');
    const missing = fs.readdirSync(path.join(root, 'constructs')).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'kind-names.ts')
      .map((f) => `test/constructs/${f.replace(/\.ts$/, '.test.ts')}`)
      .filter((t) => !fs.existsSync(path.join(root, t)) || !fs.readFileSync(path.join(root, t), 'utf8').includes("from './harness'"));
    expect(missing).toEqual([]);
  });
});

describe('fields the schema accepts reach the output (they were silently dropped)', () => {
  it('labels on adminer', () => {
    const c = synth({ 'e.yaml': env('  adminer: { kind: adminer, route: Host(`a.localhost`), labels: { team: data-7q } }\n') }).k.resource.docker_container.svc_adminer_1;
    expect(c.labels).toContainEqual({ label: 'team', value: 'data-7q' });
  });

  it('entrypoint on scheduled-job: the scheduled run is the entrypoint and the command, as docker run would do', () => {
    const c = synth({ 'e.yaml': env('  nightly: { kind: scheduled-job, image: x/app, tag: "1", entrypoint: [/bin/tini, --], command: [run, report], schedule: "0 3 * * *" }\n') }).k.resource.docker_container.svc_nightly_1;
    expect(c.labels).toContainEqual({ label: 'ofelia.job-exec.nightly.command', value: '/bin/tini -- run report' });
  });

  it('command on celery-worker and celery-beat is refused with its position (their command comes from app, queues, concurrency)', () => {
    const svc = (kind: string) => `  redis: { kind: redis, password: REDIS_PASSWORD }\n  w: { kind: ${kind}, image: x/app, tag: "1", app: app.worker, uses: [redis], command: [celery, worker] }\n`;
    for (const kind of ['celery-worker', 'celery-beat']) {
      const [line] = errors({ 'e.yaml': env(svc(kind)) });
      expect(line).toMatch(/^e\.yaml:8:\d+ services\.w\.command: unknown key/);
    }
  });
});

describe('a service that uses a kind others only start after (plain)', () => {
  it('waits for it to be healthy when it has a healthcheck (Prometheus), to have started when it has none (an NFS server)', () => {
    const m = loadEnvironments(writeFiles({ 'e.yaml': twoHostEnvironment('  prometheus: { kind: prometheus, host: core }\n  files: { kind: nfs-server, host: core, bind: 0.0.0.0 }\n  api: { kind: service, host: core, image: x/a, tag: "1", uses: [prometheus, files] }\n') }))[0];
    expect(m.service('prometheus')!.healthcheck).toBeDefined();
    expect(m.service('files')!.healthcheck).toBeUndefined();
    expect(m.service('api')!.dependencies.map((d) => [d.service.serviceName, d.condition])).toEqual([['files', 'started'], ['prometheus', 'healthy']]);
  });
});
