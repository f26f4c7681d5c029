/**
 * The commands that read or change what stackyard keeps on an environment's first host (`lock`,
 * `releases`, `audit`, `rollback`), `plan`, and what `deploy` and `down` hand to the deploy, in
 * process through main(). What they decide is
 * tested here; Docker and OpenTofu are stood in for:
 *  - the host store (lib/deploy/host-store.ts: a container for the lock, a file in a volume for the
 *    record) is a map in memory that remembers which host it was asked about
 *    (test/memory-host-store.ts); test/e2e runs the real one on the engine;
 *  - `plan` runs a stand-in engine (test/stand-in-tofu.ts) that answers init, plan and
 *    `show -json` with a real plan of test/fixtures/plans;
 *  - `deploy`, `rollback`, `down` and `exec` hand their run to a recorder (exec's run: test/ops.test.ts, test/e2e); the runs themselves are tested in
 *    test/deploy-run.test.ts and test/e2e. This machine's lock (lib/cli/flock.ts) is real.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../lib/cli/exit-codes';
import { main } from '../lib/cli/program';
import { hostStore } from './memory-host-store';
import { flockHeld } from './flock-held';
import { MINIMAL, tempDir, writeFiles, captureOutput, stubProperty, type Captured } from './helpers';
import { standInTofu, type StandInTofu, type TofuScript } from './stand-in-tofu';

const fake = vi.hoisted(() => ({
  deploys: [] as unknown[],
  /** What the recorded deploy or down returns. */
  exitCode: 0,
  /** What the host checks find (the checks themselves: test/deploy-host-checks.test.ts). */
  checks: [] as unknown[],
}));

vi.mock('../lib/deploy/host-store', async (actual) => (await import('./memory-host-store')).memoryHostStore(await actual()));

vi.mock('../lib/deploy/run', async (actual) => ({
  ...(await actual<typeof import('../lib/deploy/run')>()),
  deploy: async (_where: unknown, o: unknown) => {
    fake.deploys.push(o);
    return fake.exitCode;
  },
  down: async (_where: unknown, o: unknown) => {
    fake.deploys.push({ down: o });
    return fake.exitCode;
  },
}));

vi.mock('../lib/ops/exec', async (actual) => ({
  ...(await actual<typeof import('../lib/ops/exec')>()),
  runExec: async (stack: { environmentName: string }, service: string, command: readonly string[], o: unknown) => {
    fake.deploys.push({ exec: { environment: stack.environmentName, service, command, o } });
    return fake.exitCode;
  },
}));

vi.mock('../lib/ops/hosts', async (actual) => ({
  ...(await actual<typeof import('../lib/ops/hosts')>()),
  runHostChecks: async () => fake.checks,
}));

const HOST = 'unix:///var/run/docker.sock'; // MINIMAL's only host
/** MINIMAL with its api image released by tag (a rollback needs `release:`). */
const RELEASED = MINIMAL.replace('name: test', 'name: test\nrelease: { tag: r3, images: [ghcr.io/acme/api] }').replace('    tag: "1.0"\n', '');

let io: Captured;
const saved = { ...process.env };
beforeEach(() => {
  io = captureOutput();
  hostStore.reset();
  fake.deploys.length = 0;
  fake.exitCode = 0;
  process.env.ENVIRONMENTS_DIR = writeFiles({ 'test.yaml': MINIMAL, 'rel.yaml': RELEASED.replace('name: test', 'name: rel') });
  process.env.CDKTF_OUTDIR = tempDir();
  process.env.STACKYARD_WHO = 'alice@laptop';
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe('stackyard lock', () => {
  it('status of a free lock: "not locked", exit 0, asked of the environment\'s first host', async () => {
    expect(await main(['lock', 'test', 'status'])).toBe(EXIT.ok);
    expect(io.out).toBe('test is not locked\n');
    expect([...hostStore.hosts]).toEqual([HOST]);
    expect(await main(['lock', 'test', 'status', '--json'])).toBe(EXIT.ok);
    expect(io.out.split('\n')[1]).toBe('{"locked":false}');
  });

  it('acquire takes it with who and why; status then says who holds it, exit 75 (text and JSON)', async () => {
    expect(await main(['lock', 'test', 'acquire', '-m', 'migrating the database'])).toBe(EXIT.ok);
    expect(io.out).toBe('test locked by alice@laptop: migrating the database; deploys by others are refused until stackyard lock test release\n');
    const held = hostStore.locks.get('test');
    expect(held).toMatchObject({ environment: 'test', holder: 'alice@laptop', message: 'migrating the database', run: false });
    expect(Math.abs(Date.parse(held!.since) - Date.now())).toBeLessThan(60_000);
    io.out = '';
    expect(await main(['lock', 'test', 'status'])).toBe(EXIT.locked);
    expect(io.out).toMatch(/^test is locked, held by alice@laptop since \S+ \(0 min ago\): migrating the database\n$/);
    io.out = '';
    expect(await main(['lock', 'test', 'status', '--json'])).toBe(EXIT.locked);
    expect(JSON.parse(io.out)).toMatchObject({ locked: true, holder: 'alice@laptop', message: 'migrating the database', run: false });
  });

  it('acquire without a message says nothing after the name', async () => {
    expect(await main(['lock', 'test', 'acquire'])).toBe(EXIT.ok);
    expect(io.out).toBe('test locked by alice@laptop; deploys by others are refused until stackyard lock test release\n');
    expect(hostStore.locks.get('test')?.message).toBe('');
  });

  it('acquire when I hold it already: said, still held, exit 0', async () => {
    await main(['lock', 'test', 'acquire', '-m', 'first']);
    io.out = '';
    expect(await main(['lock', 'test', 'acquire', '-m', 'second'])).toBe(EXIT.ok);
    expect(io.out).toMatch(/^test: you hold the lock already \(held by alice@laptop since .*: first\)\n$/);
    expect(hostStore.locks.get('test')?.message).toBe('first');
  });

  it('acquire while someone else holds it, or while a deploy run of mine holds it: refused with exit 75, the lock unchanged', async () => {
    hostStore.locks.set('test', { environment: 'test', holder: 'bob@ci', since: new Date().toISOString(), message: 'release 7', run: false });
    expect(await main(['lock', 'test', 'acquire'])).toBe(EXIT.locked);
    expect(io.err).toMatch(/test is locked, held by bob@ci since .*: release 7/);
    expect(hostStore.locks.get('test')?.holder).toBe('bob@ci');
    io.err = '';
    hostStore.locks.set('test', { environment: 'test', holder: 'alice@laptop', since: new Date().toISOString(), message: '', run: true });
    expect(await main(['lock', 'test', 'acquire'])).toBe(EXIT.locked);
    expect(io.err).toContain('test is locked, held by alice@laptop since');
    expect(io.err).toContain('a deploy in progress');
    expect(hostStore.locks.get('test')?.run).toBe(true);
  });

  it('acquire that loses the race to another machine: exit 75 and what to run', async () => {
    hostStore.raceLost = true;
    expect(await main(['lock', 'test', 'acquire'])).toBe(EXIT.locked);
    expect(io.err).toContain('test was locked by someone else just now: stackyard lock test status');
    expect(io.out).toBe('');
  });

  it('release: the holder releases; someone else is refused unless --force; nothing held is said', async () => {
    expect(await main(['lock', 'test', 'release'])).toBe(EXIT.ok);
    expect(io.out).toBe('test is not locked\n');
    await main(['lock', 'test', 'acquire']);
    process.env.STACKYARD_WHO = 'bob@ci';
    io.out = '';
    expect(await main(['lock', 'test', 'release'])).toBe(EXIT.locked);
    expect(io.err).toContain('only alice@laptop releases it (or --force)');
    expect(hostStore.locks.has('test')).toBe(true);
    expect(await main(['lock', 'test', 'release', '--force'])).toBe(EXIT.ok);
    expect(io.out).toBe('test unlocked\n');
    expect(hostStore.locks.has('test')).toBe(false);
    process.env.STACKYARD_WHO = 'alice@laptop';
    await main(['lock', 'test', 'acquire']);
    io.out = '';
    expect(await main(['lock', 'test', 'release'])).toBe(EXIT.ok);
    expect(io.out).toBe('test unlocked\n');
    expect(hostStore.locks.size).toBe(0);
  });

  it('an unknown action is a usage error before any host is asked', async () => {
    expect(await main(['lock', 'test', 'grab'])).toBe(EXIT.usage);
    expect(io.err).toContain('unknown lock action "grab"; expected acquire, release or status');
    expect(hostStore.hosts.size).toBe(0);
  });

  it('an environment that does not exist: exit 1 naming it', async () => {
    expect(await main(['lock', 'nope', 'status'])).toBe(EXIT.failure);
    expect(io.err).toContain('no environment named nope');
    expect(hostStore.hosts.size).toBe(0);
  });

  it('an environment without a Docker host (Kubernetes): exit 1, nothing keeps a lock there', async () => {
    fs.writeFileSync(path.join(process.env.ENVIRONMENTS_DIR!, 'k.yaml'), 'name: k\nplatform: kubernetes\nkubernetes:\n  namespace: k\n  nodePools: { general: {} }\nservices:\n  api: { kind: web, host: general, image: x/a, tag: "1", port: 8000 }\n');
    expect(await main(['lock', 'k', 'status'])).toBe(EXIT.failure);
    expect(io.err).toContain('k has no Docker host: nothing keeps a lock or a record for it');
    expect(hostStore.hosts.size).toBe(0);
  });
});

describe('stackyard exec', () => {
  const tty = (stdin: boolean | undefined, stdout: boolean | undefined) => {
    stubProperty(process.stdin, 'isTTY', stdin);
    stubProperty(process.stdout, 'isTTY', stdout);
  };

  it('hands the command and options to the run, a terminal only when stdin and stdout are both one; its exit code is the command\'s', async () => {
    fake.exitCode = 3;
    tty(true, true);
    expect(await main(['exec', 'test', 'api', '-i', '--reuse', '-r', '2', '--', 'ls', '-l'])).toBe(3);
    tty(true, undefined);
    expect(await main(['exec', 'test', 'api', '--', 'ls'])).toBe(3);
    tty(undefined, true);
    expect(await main(['exec', 'test', 'api', '--', 'ls'])).toBe(3);
    expect(fake.deploys).toEqual([
      { exec: { environment: 'test', service: 'api', command: ['ls', '-l'], o: { interactive: true, reuse: true, replica: 2, tty: true } } },
      { exec: { environment: 'test', service: 'api', command: ['ls'], o: { tty: false } } },
      { exec: { environment: 'test', service: 'api', command: ['ls'], o: { tty: false } } },
    ]);
  });

  it('its help gives an example and says that secrets stay off the command line', async () => {
    await main(['exec', '--help']).catch(() => undefined);
    expect(io.out).toContain('Example: stackyard exec staging backend -- python manage.py migrate');
    expect(io.out).toContain('Secret values never appear on a command line');
  });
});

describe('stackyard hosts', () => {
  const check = (host: string, ok: boolean) => ({
    host, docker: `ssh://root@${host}`, ok,
    reachable: { ok: true, text: 'reachable' },
    engine: { ok: true, text: 'Docker 26.1.5' },
    disk: ok ? { ok: true, text: '40 GiB free' } : { ok: false, text: 'only 1 GiB free on /var/lib/docker (at least 2 GiB needed)', fix: 'free space' },
    clock: { ok: true, text: 'clock +0.1s' },
  });

  it('a line per host; exit 1 when any host fails, 0 when all pass; --json the checks as they are', async () => {
    fake.checks = [check('a', true), check('b', false)];
    expect(await main(['hosts', 'test'])).toBe(EXIT.failure);
    expect(io.out.split('\n').filter((l) => /^(ok|FAIL)/.test(l))).toEqual([
      'ok   a (ssh://root@a): reachable, Docker 26.1.5, 40 GiB free, clock +0.1s',
      'FAIL b (ssh://root@b): reachable, Docker 26.1.5, only 1 GiB free on /var/lib/docker (at least 2 GiB needed), clock +0.1s',
    ]);
    fake.checks = [check('a', true), check('c', true)];
    io.out = '';
    expect(await main(['hosts', 'test'])).toBe(EXIT.ok);
    fake.checks = [check('b', false)];
    io.out = '';
    expect(await main(['hosts', 'test', '--json'])).toBe(EXIT.failure);
    expect(JSON.parse(io.out)).toEqual([check('b', false)]);
  });

  it('its help says what the exit code means', async () => {
    await main(['hosts', '--help']).catch(() => undefined);
    expect(io.out).toContain('One line per host; a failing check is followed by what to do. Exit 1 when any host fails.');
  });
});

const rec = (at: string, action: string, tag: string, result = 'success', who = 'alice@laptop') =>
  JSON.stringify({ at, who, environment: 'rel', action, tag, headline: '1 to add, 0 to change, 0 to destroy', result, seconds: 12 });
const RECORDS = [
  rec('2026-11-01T10:00:00.000Z', 'deploy', 'r1'),
  rec('2026-11-02T10:00:00.000Z', 'deploy', 'r2'),
  rec('2026-11-03T10:00:00.000Z', 'deploy', 'r3', 'failed'),
  rec('2026-11-04T10:00:00.000Z', 'down', '-', 'success', 'bob@ci'),
  rec('2026-11-05T10:00:00.000Z', 'deploy', 'r3'),
].join('\n') + '\n';

describe('stackyard releases and audit', () => {
  it('releases: the successful deploys, newest first, read from the first host; --json one line each', async () => {
    hostStore.records.set('rel', RECORDS);
    expect(await main(['releases', 'rel'])).toBe(EXIT.ok);
    const lines = io.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^when +who +action +tag +result +took +plan$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[4])).toEqual(['r3', 'r2', 'r1']);
    expect([...hostStore.hosts]).toEqual([HOST]);
    io.out = '';
    expect(await main(['releases', 'rel', '--json'])).toBe(EXIT.ok);
    expect(io.out.trimEnd().split('\n').map((l) => JSON.parse(l).tag)).toEqual(['r3', 'r2', 'r1']);
  });

  it('audit: every run, failures and downs too, newest first; -n keeps the newest n', async () => {
    hostStore.records.set('rel', RECORDS);
    expect(await main(['audit', 'rel'])).toBe(EXIT.ok);
    expect(io.out.trimEnd().split('\n')).toHaveLength(6);
    io.out = '';
    expect(await main(['audit', 'rel', '-n', '2', '--json'])).toBe(EXIT.ok);
    expect(io.out.trimEnd().split('\n').map((l) => JSON.parse(l))).toMatchObject([{ action: 'deploy', tag: 'r3', result: 'success' }, { action: 'down', who: 'bob@ci' }]);
    io.out = '';
    expect(await main(['audit', 'rel', '-n', '0'])).toBe(EXIT.usage);
  });

  it('nothing recorded yet: each says so', async () => {
    expect(await main(['releases', 'rel'])).toBe(EXIT.ok);
    expect(io.out).toBe('no release of rel recorded yet\n');
    io.out = '';
    expect(await main(['audit', 'rel'])).toBe(EXIT.ok);
    expect(io.out).toBe('nothing recorded for rel yet\n');
    io.out = '';
    expect(await main(['releases', 'rel', '--json'])).toBe(EXIT.ok);
    expect(io.out).toBe('');
  });
});

describe('stackyard deploy and down', () => {
  it('deploy hands its options to the deploy and returns its exit code; releases kept: --keep-releases, else $STACKYARD_KEEP_RELEASES, else 5', async () => {
    process.env.STACKYARD_LOCKED = 'test';
    fake.exitCode = 3;
    expect(await main(['deploy', 'test', '--generate-secrets', '--adopt-orphans', '--migrate-state', '--keep-releases', '2'])).toBe(3);
    fake.exitCode = 0;
    expect(await main(['deploy', 'test'])).toBe(EXIT.ok);
    process.env.STACKYARD_KEEP_RELEASES = '7';
    expect(await main(['deploy', 'test'])).toBe(EXIT.ok);
    process.env.STACKYARD_KEEP_RELEASES = 'many';
    expect(await main(['deploy', 'test'])).toBe(EXIT.ok);
    expect(fake.deploys).toEqual([
      { env: 'test', generateSecrets: true, adoptOrphans: true, migrateState: true, keepReleases: 2 },
      { env: 'test', generateSecrets: undefined, adoptOrphans: undefined, migrateState: undefined, keepReleases: 5 },
      { env: 'test', generateSecrets: undefined, adoptOrphans: undefined, migrateState: undefined, keepReleases: 7 },
      { env: 'test', generateSecrets: undefined, adoptOrphans: undefined, migrateState: undefined, keepReleases: 5 },
    ]);
    expect(await main(['deploy', 'test', '--keep-releases', '0'])).toBe(EXIT.usage);
    expect(fake.deploys).toHaveLength(4);
  });

  it('deploy, rollback and down while another run on this machine holds its lock: exit 75, nothing run', async () => {
    const env = `held${process.pid}`;
    const lock = path.join(process.cwd(), '.stackyard', 'locks', `${env}.lock`);
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    const holder = spawn('flock', ['-o', lock, 'sleep', '30'], { stdio: 'ignore' });
    try {
      const t0 = Date.now();
      while (!flockHeld(lock) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
      delete process.env.STACKYARD_LOCKED;
      delete process.env.STACKYARD_LOCK_TIMEOUT;
      expect(await main(['deploy', env])).toBe(EXIT.locked);
      expect(await main(['rollback', env])).toBe(EXIT.locked);
      expect(await main(['down', env, '--yes'])).toBe(EXIT.locked);
      expect(fake.deploys).toEqual([]);
      expect(hostStore.hosts.size).toBe(0);
    } finally {
      holder.kill();
      fs.rmSync(lock, { force: true });
    }
  });

  it('down: its options go to the down, environment `local` by default', async () => {
    process.env.STACKYARD_LOCKED = 'local';
    expect(await main(['down'])).toBe(EXIT.ok);
    process.env.STACKYARD_LOCKED = 'test';
    fake.exitCode = 1;
    expect(await main(['down', 'test', '--volumes', '--github', '--yes'])).toBe(EXIT.failure);
    expect(fake.deploys).toEqual([{ down: { env: 'local' } }, { down: { env: 'test', volumes: true, github: true, yes: true } }]);
  });
});

describe('stackyard rollback', () => {
  beforeEach(() => {
    process.env.STACKYARD_LOCKED = 'rel'; // already under this machine's lock (test/cli-machine-lock.test.ts)
  });

  it('no tag: deploys the newest release before the current one, as a rollback, keeping the default 5 releases', async () => {
    hostStore.records.set('rel', RECORDS);
    expect(await main(['rollback', 'rel'])).toBe(EXIT.ok);
    expect(io.out).toContain('stackyard: rolling rel back to release r2');
    expect(fake.deploys).toEqual([{ env: 'rel', tag: 'r2', action: 'rollback', keepReleases: 5 }]);
  });

  it('a named release and --keep-releases (or $STACKYARD_KEEP_RELEASES) go to the deploy', async () => {
    hostStore.records.set('rel', RECORDS);
    expect(await main(['rollback', 'rel', 'r1', '--keep-releases', '2'])).toBe(EXIT.ok);
    process.env.STACKYARD_KEEP_RELEASES = '9';
    expect(await main(['rollback', 'rel', 'r1'])).toBe(EXIT.ok);
    expect(fake.deploys).toEqual([
      { env: 'rel', tag: 'r1', action: 'rollback', keepReleases: 2 },
      { env: 'rel', tag: 'r1', action: 'rollback', keepReleases: 9 },
    ]);
  });

  it('a release not in the record, or no record: refused naming what there is; nothing deployed', async () => {
    hostStore.records.set('rel', RECORDS);
    expect(await main(['rollback', 'rel', 'r9'])).toBe(EXIT.failure);
    expect(io.err).toContain('rel has no release r9 in its record; its releases, newest first: r3, r2, r1');
    hostStore.records.clear();
    expect(await main(['rollback', 'rel'])).toBe(EXIT.failure);
    expect(io.err).toContain('rel has no release in its record yet: nothing to roll back to');
    expect(fake.deploys).toEqual([]);
  });

  it('an environment without `release:` pins its images: refused before the record is read', async () => {
    process.env.STACKYARD_LOCKED = 'test';
    expect(await main(['rollback', 'test'])).toBe(EXIT.failure);
    expect(io.err).toContain('test has no `release:` in its environment file');
    expect(fake.deploys).toEqual([]);
  });
});

const fixture = (name: string) => path.join(__dirname, 'fixtures', 'plans', `${name}.json`);

describe('stackyard plan', () => {
  let engine: StandInTofu;
  const script = (planJson: string, failing?: 'init' | 'plan' | 'show'): TofuScript => ({
    planJson,
    init: [failing === 'init' ? { stdout: 'Error: init broke', status: 1 } : { stdout: 'OpenTofu has been successfully initialized!' }],
    plans: [failing === 'plan' ? { stderr: 'Error: the plan broke', status: 1 } : {}],
    show: failing === 'show' ? { status: 1 } : {},
  });
  beforeEach(() => {
    engine = standInTofu(tempDir());
    Object.assign(process.env, engine.env);
    process.env.TF_VAR_DB_PASSWORD = 'x-db';
    process.env.TF_VAR_JWT_SECRET = 'x-jwt';
    process.env.TF_VAR_STATE_PASSPHRASE = 'a-passphrase-of-enough-length-0123456789';
  });
  const planFiles = () => fs.readdirSync(path.join(process.env.CDKTF_OUTDIR!, 'stacks', 'test')).filter((f) => f.endsWith('.tfplan'));

  it('a plan that replaces the database: the terminal summary with its caution, exit 3; the plan file is gone after', async () => {
    engine.set(script(fixture('postgres-major')));
    expect(await main(['plan', 'test'])).toBe(EXIT.dataLoss);
    expect(io.out).toMatch(/^stackyard plan\n\nCAUTION\n  Data loss: .*\n  - test: replace of postgres db on core \(docker_container\.svc_db_1\)\n/);
    expect(io.out).not.toContain('> ');
    expect(io.out).not.toContain('**');
    const calls = engine.calls();
    expect(calls.map((c) => c.split(' ')[0])).toEqual(['init', 'plan', 'show']);
    // never asks (no terminal input), no colours in what is shown, no state lock taken for a read
    expect(calls[0]).toBe('init -input=false -no-color');
    expect(calls[1]).toMatch(/^plan -input=false -no-color -lock=false -out=\S+stackyard-plan\.tfplan$/);
    expect(calls[2]).toMatch(/^show -json \S+stackyard-plan\.tfplan$/);
    expect(planFiles()).toEqual([]);
  });

  it('no change: exit 0; --markdown prints the pull-request comment; --json the artifact, without values', async () => {
    engine.set(script(fixture('no-change')));
    expect(await main(['plan', 'test'])).toBe(EXIT.ok);
    expect(io.out).toContain('no changes');
    io.out = '';
    engine.set(script(fixture('postgres-major')));
    expect(await main(['plan', 'test', '--markdown'])).toBe(EXIT.dataLoss);
    expect(io.out).toContain('**test**');
    expect(io.out).toContain('> - test: replace of postgres `db`');
    io.out = '';
    expect(await main(['plan', 'test', '--json'])).toBe(EXIT.dataLoss);
    const artifact = JSON.parse(io.out);
    expect(JSON.stringify(artifact)).toContain('docker_container.svc_db_1');
    expect(io.out).not.toContain('(masked');
  });

  it.each(['init', 'plan', 'show'] as const)('a failing %s: exit 1 naming the step, the engine\'s last lines shown, nothing on standard output, no plan file left', async (step) => {
    engine.set(script(fixture('no-change'), step));
    expect(await main(['plan', 'test'])).toBe(EXIT.failure);
    const what = step === 'plan' ? 'plan' : `tofu ${step}`;
    expect(io.err).toContain(`${what} of test failed (above)`);
    if (step !== 'show') expect(io.err).toContain(step === 'init' ? 'Error: init broke' : 'Error: the plan broke');
    expect(io.out).toBe('');
    expect(planFiles()).toEqual([]);
  });

  it('a failing step shows the engine\'s last 20 lines, not all of them', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `init line ${i + 1}`);
    engine.set({ ...script(fixture('no-change')), init: [{ stdout: lines.join('\n'), status: 1 }] });
    expect(await main(['plan', 'test'])).toBe(EXIT.failure);
    expect(io.err).toContain('init line 30\n');
    expect(io.err).toContain('init line 11\n');
    expect(io.err).not.toContain('init line 10\n');
  });

  it('a missing secret stops before the engine runs', async () => {
    delete process.env.TF_VAR_JWT_SECRET;
    engine.set(script(fixture('no-change')));
    expect(await main(['plan', 'test'])).toBe(EXIT.failure);
    expect(io.err).toContain('environment test needs these secrets at deploy time: JWT_SECRET\n');
    expect(engine.calls()).toEqual([]);
  });
});
