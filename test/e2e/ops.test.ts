/**
 * The day-2 commands on the real engine, against the bundled `local` environment as `npm run up`
 * deploys it (run up first; this file runs it too, which changes nothing when it is up):
 * `status` after up, `logs -f` sees a new line, `exec` reads a secret file in a one-off
 * container and leaves no container behind, `maintenance on` gives 503 through the proxy and
 * `off` restores 200. Run it alone, under the shared Docker lock:
 *   flock -o /tmp/stackyard-docker.lock npx vitest run --config vitest.e2e.config.mts test/e2e/ops.test.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSecretsFile } from '../../lib/deploy/secrets';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'dist', 'bin', 'stackyard.js');
const ENV = { ...process.env, STACKYARD_SKIP_BUILD: '1', ENVIRONMENTS_DIR: path.join(ROOT, 'environments') };

function stackyard(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8' });
/** The running container of a replica of `local` (a start-first replica's name carries its revision). */
const runningReplica = (service: string, replica: number) => docker('ps', '-q', '--filter', 'label=stackyard.environment=local', '--filter', `label=stackyard.service=${service}`,
  '--filter', `label=stackyard.replica=${replica}`, '--filter', 'status=running').stdout.trim().split('\n')[0];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function get(host: string, pathname: string): Promise<{ status: number; body: string; retryAfter?: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: 8001, path: pathname, headers: { Host: host }, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] as string | undefined }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
  });
}

async function until(what: string, fn: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!(await fn())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/**
 * `local` left on the test engine by another checkout (its state and secrets are not here): this
 * checkout cannot adopt it (its Postgres volume has another password), and a deploy rightly
 * refuses containers its state does not know. Removed, with its volumes, so `up` starts clean:
 * up front when this checkout has no state or no secrets of `local`, or (`force`) after `up`
 * said its state knows none of the containers.
 */
function removeForeignLocal(force = false): void {
  const mine = ['state/local.tfstate', 'secrets/local.env'].every((f) => fs.existsSync(path.join(ROOT, '.stackyard', f)));
  if (mine && !force) return;
  const list = (args: string[]) => docker(...args).stdout.split('\n').filter(Boolean);
  const label = 'label=stackyard.environment=local';
  const containers = list(['ps', '-aq', '--filter', label]);
  if (containers.length) docker('rm', '-f', ...containers);
  for (const n of list(['network', 'ls', '-q', '--filter', label])) docker('network', 'rm', n);
  for (const v of list(['volume', 'ls', '-q', '--filter', label])) docker('volume', 'rm', '-f', v);
  docker('rm', '-f', 'stackyard-lock-local');
}

beforeAll(() => {
  removeForeignLocal();
  const up = () => spawnSync('bash', ['scripts/up.sh'], { cwd: ROOT, env: process.env, encoding: 'utf8', timeout: 1_500_000 });
  let r = up();
  // this checkout's state knows none of them: another checkout's, left with its own state and secrets
  if (r.status !== 0 && /the state of local knows none of the/.test(r.stdout + r.stderr)) {
    removeForeignLocal(true);
    r = up();
  }
  if (r.status !== 0) throw new Error(`npm run up failed:\n${(r.stdout + r.stderr).slice(-3000)}`);
  // nothing of an earlier interrupted run
  docker('rm', '-f', 'local-maintenance');
});

describe('day-2 commands on the real engine (local)', () => {
  it('status: every container of local as the file says, exit 0; --json agrees', () => {
    const r = stackyard('status', 'local');
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('local: all 12 container(s) as the environment file says');
    expect(r.out).toMatch(/ backend +2 +stackyard\/demo-app:1 +running +healthy +\S+ +0/);
    const j = JSON.parse(stackyard('status', 'local', '--json').out);
    expect(j.ok).toBe(true);
    const rows = j.hosts[0].containers;
    expect(rows).toHaveLength(12);
    // a start-first job's container carries its revision: local-prestart-1-<8 hex>
    expect(rows.find((c: { service: string }) => c.service === 'prestart')).toMatchObject({ name: expect.stringMatching(/^local-prestart-1-[0-9a-f]{8}$/), state: 'exited', exitCode: 0, ok: true });
    expect(rows.find((c: { name: string }) => c.name === 'local-db-1')).toMatchObject({ image: 'postgres:17', health: 'healthy' });
  });

  it('status fails naming a stopped replica, and recovers', async () => {
    docker('stop', '-t', '1', 'local-watcher-1');
    try {
      const r = stackyard('status', 'local');
      expect(r.code).toBe(1);
      expect(r.out).toContain('local-watcher-1 on local: exited');
    } finally {
      docker('start', 'local-watcher-1');
    }
  });

  it('logs -f prints a new line of any replica, prefixed with host and replica', async () => {
    const marker = `stackyard-ops-test-${Date.now()}`;
    const child = spawn(process.execPath, [BIN, 'logs', 'local', 'backend', '-f', '--tail', '0'], { cwd: ROOT, env: ENV });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await sleep(3000); // both docker logs -f attached
      // a line on replica 2's standard output, as the application would print it
      expect(docker('exec', runningReplica('backend', 2), 'sh', '-c', `echo ${marker} > /proc/1/fd/1`).status).toBe(0);
      await until('the marker line', async () => out.includes(marker));
      expect(out).toMatch(new RegExp(`^local/backend-2-[0-9a-f]{8} \\| ${marker}$`, 'm'));
    } finally {
      child.kill('SIGINT');
    }
    // without -f: both replicas, merged
    const all = stackyard('logs', 'local', 'backend', '--tail', '5');
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/^local\/backend-1-[0-9a-f]{8} \| /m);
    expect(all.out).toMatch(/^local\/backend-2-[0-9a-f]{8} \| /m);
  });

  it('exec: a one-off container reads the secret file, reaches the database by its service name, and is removed', () => {
    const secrets = parseSecretsFile(fs.readFileSync(path.join(ROOT, '.stackyard', 'secrets', 'local.env'), 'utf8'));
    const before = docker('ps', '-aq', '--filter', 'label=stackyard.environment=local').stdout.trim().split('\n').sort();
    const r = stackyard('exec', 'local', 'backend', '--', 'cat', '/run/secrets/JWT_SECRET');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(secrets.get('TF_VAR_JWT_SECRET'));
    const net = stackyard('exec', 'local', 'backend', '--', 'python3', '-c', 'import os, socket; socket.create_connection((os.environ["DB_HOST"], 5432), 3); print("db ok")');
    expect(net.out.trim(), net.err).toBe('db ok');
    const failing = stackyard('exec', 'local', 'backend', '--', 'sh', '-c', 'exit 7');
    expect(failing.code).toBe(7);
    expect(docker('ps', '-aq', '--filter', 'label=stackyard.exec=local').stdout.trim()).toBe('');
    expect(docker('ps', '-aq', '--filter', 'label=stackyard.environment=local').stdout.trim().split('\n').sort()).toEqual(before);
    // --reuse runs in the running replica
    const reuse = stackyard('exec', 'local', 'backend', '--reuse', '--', 'cat', '/etc/hostname');
    expect(reuse.out.trim()).toBe('local-backend-1');
  });

  it('maintenance on: 503 with the page through the proxy, containers keep running; off: 200 again', async () => {
    await until('the backend through the proxy', async () => (await get('api.localhost', '/api/')).status === 200);
    const on = stackyard('maintenance', 'local', 'on', '--message', 'Back at <5 pm>');
    expect(on.code, on.err).toBe(0);
    try {
      await until('503 from the maintenance page', async () => (await get('api.localhost', '/api/')).status === 503);
      const page = await get('api.localhost', '/api/');
      expect(page.body).toContain('Back at &lt;5 pm&gt;');
      expect(page.retryAfter).toBe('300');
      expect((await get('localhost', '/')).status).toBe(503);
      expect((await get('adminer.localhost', '/')).status).toBe(503);
      const s = stackyard('status', 'local');
      expect(s.code, s.out).toBe(0);
      expect(s.out).toContain('local-maintenance on local: maintenance page');
    } finally {
      const off = stackyard('maintenance', 'local', 'off');
      expect(off.code, off.err).toBe(0);
    }
    await until('200 again', async () => (await get('api.localhost', '/api/')).status === 200);
    expect(docker('ps', '-aq', '--filter', 'name=local-maintenance').stdout.trim()).toBe('');
  });
});
