/**
 * Seed 003's homelab (examples/trading-homelab/homelab.yaml through test/fleet/environments/homelab.yaml:
 * only the host addresses, the registry and what this machine cannot provide differ) deployed for
 * real to the three fleet hosts over ssh://, then observed and broken on purpose. Every question
 * is asked of the running system: each host's own engine over its own socket, the backend's HTTP
 * API, Prometheus's and Jaeger's HTTP APIs, Ofelia's log, Postgres. Tests run in order; each
 * builds on the state the previous one left.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../e2e/shared';
import { dockerOn, fleet, fleetCommand, fleetEnvironment, report } from './fleet';

const E = fleetEnvironment('homelab');
const ENV = E.ENV;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keep = process.env.STACKYARD_FLEET_KEEP === '1';
const core = () => fleet().hosts.core.address;

/** Fleet host (core, worker-1, worker-2) of each of the file's hosts, by the address the file gives it. */
function fleetHostOf(fileHost: string): string {
  const address = E.config.hosts[fileHost]?.address;
  const found = Object.entries(fleet().hosts).find(([, h]) => h.address === address);
  if (!found) throw new Error(`host ${fileHost} of ${ENV} (address ${address}) is not a fleet host`);
  return found[0];
}

/** Replica → fleet host, as the synthesized stack places every container (its stackyard.host label, the file's host). */
function placements(): Record<string, string> {
  const stack = JSON.parse(fs.readFileSync(path.join(E.STACK_DIR, 'cdk.tf.json'), 'utf8'));
  const out: Record<string, string> = {};
  for (const c of Object.values(stack.resource.docker_container) as { labels: { label: string; value: string }[] }[]) {
    const l = Object.fromEntries(c.labels.map((x) => [x.label, x.value]));
    out[`${ENV}-${l['stackyard.service']}-${l['stackyard.replica']}`] = fleetHostOf(l['stackyard.host']);
  }
  return out;
}

const noSecret = (text: string, where: string) => {
  for (const v of Object.values(E.SECRETS)) expect(text.includes(v), `${where} contains a secret value`).toBe(false);
  expect(text.includes(fs.readFileSync(fleet().registry.passwordFile, 'utf8').trim()), `${where} contains the registry password`).toBe(false);
};

/** Until `check` returns something truthy (or the time is up: then its last answer). */
async function until<T>(check: () => Promise<T> | T, seconds: number, every = 1000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await check();
    if (v || Date.now() - t0 > seconds * 1000) return v;
    await sleep(every);
  }
}

const backend = (p: string, body?: unknown) => httpRequest({ address: core(), port: 8000, path: p, method: body ? 'POST' : 'GET', body, timeoutMs: 20_000 });

/** Prometheus's HTTP API on core, asked inside its container (its port is not published). */
const prometheus = (p: string) => JSON.parse(dockerOn('core', 'exec', `${ENV}-prometheus-1`, 'wget', '-qO-', `http://localhost:9090${p}`));

/** psql in the backup container (the database's own image) against the db service; the password from its secret file. */
const psql = (database: string, sql: string) => dockerOn('core', 'exec', `${ENV}-db-backup-1`, 'sh', '-c',
  `PGPASSWORD="$(cat /run/secrets/DB_PASSWORD)" psql -h db -U ktrdr -d ${database} -v ON_ERROR_STOP=1 -Atc "$1"`, 'psql', sql);

/** Every worker's public URL as the file makes them: each worker host's address, ports 5003 on in sequence across the two pools. */
function expectedWorkerUrls(): string[] {
  return ['worker-1', 'worker-2'].flatMap((h) => [5003, 5004, 5005, 5006].map((p) => `http://${fleet().hosts[h].address}:${p}`)).sort();
}

const ROWS = 50;

beforeAll(() => {
  if (process.env.STACKYARD_FLEET_REUSE !== '1') fs.rmSync(E.STATE_FILE, { force: true });
});

afterAll(async () => {
  if (keep) return;
  const r = await E.stackyard('down', ENV, '--yes');
  if (r.code !== 0) throw new Error(`stackyard down ${ENV} failed: ${r.output.slice(-2000)}`);
});

describe('seed 003 (trading-homelab) on three hosts over ssh', () => {
  it('passes the host checks, then deploys from empty; no secret in the output', async () => {
    const h = await E.stackyard('hosts', ENV);
    expect(h.code, h.output).toBe(0);
    expect(h.output.trim().split('\n').map((l) => l.split(' (')[0])).toEqual(['ok   core', 'ok   workers-b', 'ok   workers-c']);
    const r = await E.deploy();
    expect(r.code, r.output.slice(-4000)).toBe(0);
    expect(r.output).toMatch(/hosts checked/);
    report('first deploy of homelab to the fleet seconds', r.seconds);
    noSecret(r.output, 'deploy output');
  });

  it('runs every container on the host the file names, healthy (asked of each host engine)', async () => {
    const want = placements();
    // the file spreads the environment over all three hosts
    expect(new Set(Object.values(want))).toEqual(new Set(['core', 'worker-1', 'worker-2']));
    expect(Object.keys(want).length).toBe(15);
    const settled = () => E.containers().every((c) => c.state === 'running' && (!c.health || c.health === 'healthy'));
    await until(settled, 90);
    const got = E.containers();
    expect(Object.fromEntries(got.map((c) => [c.replica, c.host]))).toEqual(want);
    for (const c of got) {
      expect(c.state, `${c.name} on ${c.host}`).toBe('running');
      if (c.health) expect(c.health, `${c.name} on ${c.host}`).toBe('healthy');
    }
    for (const n of ['db', 'backend', 'prometheus', 'jaeger']) expect(got.find((c) => c.replica === `${ENV}-${n}-1`)?.health, n).toBe('healthy');
  });

  let traceId = '';
  it('the workers on worker-1 and worker-2 registered with the backend on core under their public URLs; a job reaches a worker on another host', async () => {
    const registered = async () => {
      const r = await backend('/api/v1/workers');
      return r.ok ? (r.body as { endpoint_url: string }[]).map((w) => w.endpoint_url).sort() : [];
    };
    await until(async () => (await registered()).length === 8, 60);
    expect(await registered()).toEqual(expectedWorkerUrls());
    // the backend on core sends the job over the network to a worker on worker-2
    const r = await backend('/api/v1/jobs', { type: 'backtesting', host: fleet().hosts['worker-2'].address, payload: 'fleet' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const on = (h: string) => dockerOn(h, 'ps', '--format', '{{.Names}}').split('\n');
    expect(on('worker-2')).toContain(r.body.result.container);
    expect(on('core')).not.toContain(r.body.result.container);
    expect(r.body.result.endpoint_url).toMatch(new RegExp(`^http://${fleet().hosts['worker-2'].address.replace(/\./g, '\\.')}:500[34]$`));
    traceId = r.body.result.trace_id;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('Prometheus on core reports every target up, the workers on the other hosts included (its HTTP API)', async () => {
    type Target = { scrapeUrl: string; health: string; lastError: string };
    const targets = (): Target[] => prometheus('/api/v1/targets?state=active').data.activeTargets;
    await until(() => targets().length > 0 && targets().every((t) => t.health === 'up'), 90, 2000);
    const t = targets();
    expect(t.filter((x) => x.health !== 'up').map((x) => `${x.scrapeUrl}: ${x.health} ${x.lastError}`)).toEqual([]);
    const urls = t.map((x) => x.scrapeUrl).sort();
    expect(urls).toEqual([`http://${ENV}-backend-1:8000/metrics`, ...expectedWorkerUrls().map((u) => `${u}/metrics`)].sort());
    // a sample scraped from a worker on worker-2
    const q = prometheus(`/api/v1/query?query=${encodeURIComponent(`up{instance="${fleet().hosts['worker-2'].address}:5003"}`)}`);
    expect(q.data.result.map((s: { value: [number, string] }) => s.value[1])).toEqual(['1']);
  });

  it('Jaeger on core received the span the worker on worker-2 sent (its query API)', async () => {
    const trace = await until(async () => {
      const r = await httpRequest({ address: core(), port: 16686, path: `/api/traces/${traceId}`, timeoutMs: 5000 });
      return r.ok && r.body.data?.length ? r.body.data[0] : undefined;
    }, 30);
    expect(trace, `trace ${traceId}`).toBeDefined();
    const span = trace.spans[0];
    const process = trace.processes[span.processID];
    expect(span.operationName).toBe('backtesting job');
    expect(process.serviceName).toBe('backtest-workers-workers-c');
    expect(process.tags).toContainEqual({ key: 'host.name', type: 'string', value: fleet().hosts['worker-2'].address });
  });

  it('the backup runs on its seconds schedule and its .sql.gz restores into an empty database with the same rows', async () => {
    psql('ktrdr', `CREATE TABLE IF NOT EXISTS trades (id int PRIMARY KEY, symbol text, qty numeric); INSERT INTO trades SELECT i, 'SYM' || i, i * 1.5 FROM generate_series(1, ${ROWS}) i ON CONFLICT DO NOTHING`);
    const rows = psql('ktrdr', 'SELECT md5(string_agg(t::text, \',\' ORDER BY id)) || \' \' || count(*) FROM trades t');
    const inserted = Date.now();
    // Ofelia on core: two runs that started after the rows were written, 20 seconds apart, both succeeded
    type Run = { started: number; ok: boolean };
    const runs = (): Run[] => {
      const log = dockerOn('core', 'logs', `${ENV}-scheduler-core-1`).split('\n');
      const ids = new Map<string, Run>();
      for (const line of log) {
        const m = /^(\S+) .*\[Job "db-backup" \((\w+)\)\] (Started|Finished .*failed: (true|false))/.exec(line);
        if (!m) continue;
        if (m[3] === 'Started') ids.set(m[2], { started: Date.parse(m[1]), ok: false });
        else if (ids.has(m[2])) ids.get(m[2])!.ok = m[4] === 'false';
      }
      return [...ids.values()];
    };
    await until(() => runs().filter((r) => r.started > inserted && r.ok).length >= 2, 70);
    const after = runs().filter((r) => r.started > inserted);
    expect(after.length).toBeGreaterThanOrEqual(2);
    expect(after.every((r) => r.ok), JSON.stringify(after)).toBe(true);
    // "*/20 * * * * *": at seconds 0, 20 and 40, each 20 s after the last
    for (const r of after) expect([0, 20, 40]).toContain(new Date(r.started).getUTCSeconds());
    expect(Math.round((after[1].started - after[0].started) / 1000)).toBe(20);
    // the dump: <db>_YYYYMMDD.sql.gz in the protected volume, restored into a new, empty database
    const file = `/backups/ktrdr_${new Date(after[after.length - 1].started).toISOString().slice(0, 10).replace(/-/g, '')}.sql.gz`;
    dockerOn('core', 'exec', `${ENV}-db-backup-1`, 'gzip', '-t', file);
    psql('ktrdr', 'DROP DATABASE IF EXISTS restored');
    psql('ktrdr', 'CREATE DATABASE restored');
    expect(psql('restored', 'SELECT count(*) FROM pg_tables WHERE schemaname = \'public\'')).toBe('0');
    dockerOn('core', 'exec', `${ENV}-db-backup-1`, 'sh', '-c',
      `gunzip -c ${file} | PGPASSWORD="$(cat /run/secrets/DB_PASSWORD)" psql -q -h db -U ktrdr -d restored -v ON_ERROR_STOP=1 >/dev/null`);
    expect(psql('restored', 'SELECT md5(string_agg(t::text, \',\' ORDER BY id)) || \' \' || count(*) FROM trades t')).toBe(rows);
    expect(rows.endsWith(` ${ROWS}`)).toBe(true);
  });

  it('a second deploy plans no change on any host', async () => {
    const r = await E.deploy();
    expect(r.code, r.output.slice(-4000)).toBe(0);
    expect(r.output).toMatch(/plan for homelab: no changes/);
    report('no-change deploy of homelab to the fleet seconds', r.seconds);
    const p = E.tofu('plan', '-detailed-exitcode', '-input=false', '-no-color');
    expect(p.status, p.stdout + p.stderr).toBe(0);
  });

  it('worker-1\'s dockerd restarted: its containers come back by their restart policy and the next plan is empty', async () => {
    const before = E.containers().filter((c) => c.host === 'worker-1');
    expect(before.length).toBe(4);
    const t0 = Date.now();
    fleetCommand('dockerd-restart', 'worker-1');
    const back = await until(() => {
      const now = E.containers().filter((c) => c.host === 'worker-1');
      return now.length === 4 && now.every((c) => c.state === 'running');
    }, 60);
    expect(back).toBe(true);
    report('worker-1 dockerd restart: seconds until its 4 containers ran again', Math.round((Date.now() - t0) / 100) / 10);
    const after = E.containers().filter((c) => c.host === 'worker-1');
    // the same containers, restarted (not recreated)
    expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
    for (const c of after) expect(Date.parse(c.startedAt), c.name).toBeGreaterThan(t0);
    // they register with the backend again
    await until(async () => ((await backend('/api/v1/workers')).body as { endpoint_url: string }[]).filter((w) => w.endpoint_url.includes(fleet().hosts['worker-1'].address)).length === 4, 30);
    const p = E.tofu('plan', '-detailed-exitcode', '-input=false', '-no-color');
    expect(p.status, p.stdout + p.stderr).toBe(0);
  });

  it('a deploy killed mid-apply across hosts: the next deploy converges without manual steps, and the rows on core survive', async () => {
    const rows = psql('ktrdr', 'SELECT md5(string_agg(t::text, \',\' ORDER BY id)) || \' \' || count(*) FROM trades t');
    // drift on every host: a worker on each worker host and the backend on core are gone
    dockerOn('worker-1', 'rm', '-f', `${ENV}-backtest-workers-workers-b-1`, `${ENV}-training-workers-workers-b-2`);
    dockerOn('worker-2', 'rm', '-f', `${ENV}-backtest-workers-workers-c-2`, `${ENV}-training-workers-workers-c-1`);
    dockerOn('core', 'rm', '-f', `${ENV}-backend-1`);
    // killed (the whole process group: npm, stackyard, tofu, its provider) once the apply is creating on core and a worker host
    let pid = 0;
    let killed = false;
    const r = await E.deploy(900_000, {
      onStart: (p) => (pid = p),
      onOutput: (out) => {
        // the progress lines name the file's hosts: core/... and workers-b/... or workers-c/...
        if (!killed && pid && /core\/backend-1: creating/.test(out) && /workers-[bc]\/\S+: creating/.test(out)) {
          killed = true;
          process.kill(-pid, 'SIGKILL');
        }
      },
    });
    expect(killed, r.output.slice(-3000)).toBe(true);
    expect(r.code).not.toBe(0);
    const t0 = Date.now();
    const again = await E.deploy();
    expect(again.code, again.output.slice(-4000)).toBe(0);
    report('deploy after one killed mid-apply seconds', Math.round((Date.now() - t0) / 1000));
    const p = E.tofu('plan', '-detailed-exitcode', '-input=false', '-no-color');
    expect(p.status, p.stdout + p.stderr).toBe(0);
    expect(Object.fromEntries(E.containers().map((c) => [c.replica, c.host]))).toEqual(placements());
    expect(psql('ktrdr', 'SELECT md5(string_agg(t::text, \',\' ORDER BY id)) || \' \' || count(*) FROM trades t')).toBe(rows);
    await until(async () => ((await backend('/api/v1/workers')).body as unknown[] | undefined)?.length === 8, 60);
    expect(((await backend('/api/v1/workers')).body as { endpoint_url: string }[]).map((w) => w.endpoint_url).sort()).toEqual(expectedWorkerUrls());
  });
});
