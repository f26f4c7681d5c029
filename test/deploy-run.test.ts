/**
 * The deploy and down runs themselves (lib/deploy/run.ts: the order of their steps and what each
 * outcome leaves behind), in process. test/e2e runs the same code against the real engine and
 * OpenTofu, but Stryker cannot count a spawned process, so the sequencing is proved here too, with:
 *  - a stand-in `docker` first on PATH (test/stand-in-docker.ts) that answers from a small JSON
 *    world (containers, networks, volumes) and logs each call;
 *  - a stand-in `tofu` (test/stand-in-tofu.ts) that logs each call and answers `state pull`,
 *    `apply -json` and `destroy -json` from a script of machine-readable events, as OpenTofu does;
 *  - the host store (lock and record on the first host) in memory (test/memory-host-store.ts;
 *    test/e2e runs the real one).
 * The environment's host is a unix socket nobody serves: nothing here can reach a real engine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { forgetHosts } from '../lib/deploy/host-docker';
import { deploy, down, type Where } from '../lib/deploy/run';
import { DeployStop } from '../lib/deploy/steps';
import { hostStore } from './memory-host-store';
import { MINIMAL, tempDir, captureOutput, type Captured } from './helpers';
import { standInDocker, type StandIn, type StandInContainer, type World } from './stand-in-docker';
import { standInTofu, type StandInTofu, type TofuScript } from './stand-in-tofu';

// each test runs up to three deploys (a synthesis, a key derivation and a dozen stand-in processes
// each): far under a second apiece on a quiet machine, but a loaded one must not time them out
vi.setConfig({ testTimeout: 120_000 });

vi.mock('../lib/deploy/host-store', async (actual) => (await import('./memory-host-store')).memoryHostStore(await actual()));
const store = hostStore;

const SOCKET = '/nonexistent/stackyard-test/docker.sock';
const CANARIES = { DB_PASSWORD: 'canary-db-51e2', JWT_SECRET: 'canary-jwt-77a0', STATE_PASSPHRASE: 'canary-passphrase-0123456789abcdef' };
const ENV = MINIMAL.replace('unix:///var/run/docker.sock', `unix://${SOCKET}`);
/** ENV with a one-shot job the api runs after (phase 1 when something runs already). */
const WITH_JOB = ENV.replace('    uses: [db]\n', '    uses: [db]\n    after: [migrate]\n') + '  migrate: { kind: job, image: ghcr.io/acme/api, tag: "1.0", command: [migrate], uses: [db] }\n';

// --- the stand-ins --------------------------------------------------------------------------------


const ev = (type: string, message: string, extra: Record<string, unknown> = {}) => ({ '@level': 'info', '@message': message, '@module': 'tofu.ui', '@timestamp': '2026-11-30T00:00:00.000000Z', type, ...extra });
const summary = (operation: string, add: number, change: number, remove: number) =>
  ev('change_summary', operation === 'plan' ? `Plan: ${add} to add, ${change} to change, ${remove} to destroy.` : `Apply complete! Resources: ${add} added, ${change} changed, ${remove} destroyed.`, { changes: { add, change, import: 0, remove, forget: 0, operation } });
const failure = (text: string) => ({ '@level': 'error', '@message': `Error: ${text}`, '@module': 'tofu.ui', '@timestamp': '2026-11-30T00:00:00.000000Z', type: 'diagnostic', diagnostic: { severity: 'error', summary: text, detail: '' } });
const applied = (add: number, change = 0, remove = 0) => ({ events: [summary('plan', add, change, remove), summary('apply', add, change, remove)] });

const container = (name: string, extra: Partial<StandInContainer> = {}): StandInContainer => {
  const [, service, replica] = /^test-(\w+)-(\d+)/.exec(name) ?? [];
  return { Id: `id-${name}`, Name: `/${name}`, Config: { Labels: { 'stackyard.environment': 'test', 'stackyard.service': service, 'stackyard.replica': replica } }, ...extra };
};
/** A state as `tofu state pull` prints it, knowing these containers. */
const stateWith = (...names: string[]) => JSON.stringify({
  version: 4,
  resources: names.map((n) => ({ mode: 'managed', type: 'docker_container', name: n.replace(/^test-(\w+)-(\d+)$/, 'svc_$1_$2'), instances: [{ attributes: { name: n, exit_code: null } }] })),
});

let root: string;
let where: Where;
let tofu: StandInTofu;
let docker: StandIn;
let io: Captured;
const saved = { ...process.env };

function setUp(envText: string, world: World, script: TofuScript): void {
  fs.writeFileSync(path.join(where.environmentsDir, 'test.yaml'), envText);
  docker.set(world);
  tofu.set(script);
}
const tofuCalls = () => tofu.calls();
const dockerCalls = () => docker.calls();
const records = () => (store.records.get('test') ?? '').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
async function failsWith(run: Promise<number>, message: string | RegExp, exitCode = 1): Promise<void> {
  const e = await run.then(() => undefined, (x: unknown) => x);
  expect(e, 'the run stopped').toBeInstanceOf(DeployStop);
  expect((e as DeployStop).message).toMatch(message);
  expect((e as DeployStop).exitCode).toBe(exitCode);
}

beforeEach(() => {
  root = tempDir();
  docker = standInDocker(root);
  tofu = standInTofu(root);
  where = { root, environmentsDir: path.join(root, 'environments'), outDir: 'out' };
  fs.mkdirSync(where.environmentsDir);
  Object.assign(process.env, {
    PATH: `${docker.bin}:${saved.PATH}`, STACKYARD_PROGRESS: 'plain', STACKYARD_WHO: 'alice@laptop',
    ...docker.env, ...tofu.env,
    ...Object.fromEntries(Object.entries(CANARIES).map(([k, v]) => [`TF_VAR_${k}`, v])),
  });
  store.reset();
  io = captureOutput();
});
afterEach(() => {
  vi.restoreAllMocks();
  forgetHosts();
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  // every run, whatever its outcome, released the lock it took
  expect(store.locks.size, 'no lock left').toBe(0);
  for (const v of Object.values(CANARIES)) expect(io.out + io.err, 'no secret value in the output').not.toContain(v);
});

describe('a deploy, step by step', () => {
  it('nothing on the hosts yet: init, then one apply, no state read; the lock is held around it and the record says success with the plan\'s headline', async () => {
    setUp(ENV, {}, { applies: [applied(7)] });
    expect(await deploy(where, { env: 'test' })).toBe(0);
    expect(tofuCalls()).toEqual(['init -input=false -no-color', 'apply -json -auto-approve -input=false -no-color']);
    expect(store.events).toEqual(['lock deploy in progress', 'record', 'unlock']);
    expect(records()).toEqual([expect.objectContaining({ who: 'alice@laptop', environment: 'test', action: 'deploy', tag: '-', headline: '7 to add, 0 to change, 0 to destroy', result: 'success' })]);
    expect(io.err).toContain('stackyard: nothing of test on its hosts: no orphan, nothing to replace (state not read before the apply)');
    expect(io.out).toMatch(/deployed test in \d+s\n$/);
    // the host was checked first, and every docker call went to the environment's host
    expect(dockerCalls()[0]).toEqual(['info', '--format', '{{json .}}']);
  });

  it('a second deploy with the stack already initialised skips init; the secrets reach the engine only through its environment', async () => {
    setUp(ENV, {}, { applies: [applied(7)] });
    await deploy(where, { env: 'test' });
    expect(await deploy(where, { env: 'test' })).toBe(0);
    expect(tofuCalls().filter((c) => c.startsWith('init'))).toHaveLength(1);
    expect(tofuCalls().join('\n')).not.toContain(CANARIES.DB_PASSWORD);
  });

  it('something runs already: the state is read, an unknown container of the environment is removed, the job goes first (phase 1) with its -target list', async () => {
    setUp(WITH_JOB, { containers: [container('test-db-1'), container('test-api-1'), container('test-api-9')] }, {
      state: stateWith('test-db-1', 'test-api-1'),
      applies: [applied(1), applied(0, 2)],
    });
    expect(await deploy(where, { env: 'test' })).toBe(0);
    const calls = tofuCalls();
    expect(calls.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['init -input=false', 'state pull', 'apply -json', 'apply -json']);
    expect(calls[2]).toMatch(/-target=docker_container\.svc_migrate_1/);
    expect(calls[2]).not.toMatch(/-target=docker_container\.svc_api_1\b/); // the api runs after the job
    expect(calls[3]).toBe('apply -json -auto-approve -input=false -no-color');
    expect(dockerCalls()).toContainEqual(['rm', '-f', 'test-api-9']);
    expect(dockerCalls()).not.toContainEqual(['rm', '-f', 'test-api-1']);
    expect(records()[0]).toMatchObject({ headline: '0 to add, 2 to change, 0 to destroy', result: 'success' });
  });

  it('a start-first service with nothing deployed yet: said; its apply sees the stack without the chain between its replicas, and the synthesized stack is back after', async () => {
    setUp(ENV, { containers: [container('test-db-1')] }, { state: stateWith('test-db-1'), applies: [applied(0), applied(2)] });
    expect(await deploy(where, { env: 'test' })).toBe(0);
    expect(io.err).toContain('stackyard: nothing deployed yet of api: replicas start together, no drain (nothing to replace)');
    const dependsOn = (text: string) => JSON.parse(text).resource.docker_container.svc_api_2.depends_on ?? [];
    expect(dependsOn(tofu.stackOf(1))).not.toContain('docker_container.svc_api_1');
    const synthesized = fs.readFileSync(path.join(root, 'out', 'stacks', 'test', 'cdk.tf.json'), 'utf8');
    expect(dependsOn(synthesized)).toContain('docker_container.svc_api_1');
    expect(tofu.stackOf(0), 'phase 1 applies the stack as synthesized').toBe(synthesized);
  });

  it('the same service with a replica in the state keeps the chain (an update: one replica at a time)', async () => {
    setUp(ENV, { containers: [container('test-db-1'), container('test-api-1')] }, { state: stateWith('test-db-1', 'test-api-1'), applies: [applied(0), applied(2)] });
    expect(await deploy(where, { env: 'test' })).toBe(0);
    expect(io.err).not.toContain('nothing deployed yet');
    expect(tofu.stackOf(1)).toBe(fs.readFileSync(path.join(root, 'out', 'stacks', 'test', 'cdk.tf.json'), 'utf8'));
  });

  it('containers of the environment that the state does not know at all: refused, naming them, before anything is applied; --adopt-orphans removes them', async () => {
    setUp(ENV, { containers: [container('test-api-1')] }, { state: '', applies: [applied(7)] });
    await failsWith(deploy(where, { env: 'test' }), /test-api-1/);
    expect(tofuCalls().filter((c) => c.startsWith('apply'))).toEqual([]);
    expect(records()[0]).toMatchObject({ result: 'failed', headline: 'failed before the plan' });
    expect(await deploy(where, { env: 'test', adoptOrphans: true })).toBe(0);
    expect(dockerCalls()).toContainEqual(['rm', '-f', 'test-api-1']);
  });

  it('a failed phase 1 stops before the rest, reports the job, and records the failure', async () => {
    setUp(WITH_JOB, { containers: [container('test-db-1')] }, { state: stateWith('test-db-1'), applies: [{ events: [failure('container exited with code 3')], status: 1 }] });
    await failsWith(deploy(where, { env: 'test' }), 'phase 1 failed (a one-shot job, or what it needs); nothing that runs after a job was changed');
    expect(tofuCalls().filter((c) => c.startsWith('apply'))).toHaveLength(1);
    expect(records()[0]).toMatchObject({ result: 'failed', headline: 'phase 1 failed' });
  });

  it('an apply that fails after its plan: the replicas that never became healthy are reported from the host, the failure is recorded with the plan\'s headline', async () => {
    const unhealthy = container('test-api-1', { State: { Status: 'running', Health: { Status: 'unhealthy', Log: [{ ExitCode: 22, Output: 'curl: (22) 503' }] } } });
    setUp(ENV, { containers: [unhealthy] }, {
      state: stateWith('test-api-1'),
      // phase 1 (the database, which the start-first api uses), then the apply that fails
      applies: [applied(0), { events: [summary('plan', 0, 1, 0), failure('container failed to be in healthy state')], status: 1 }],
    });
    await failsWith(deploy(where, { env: 'test' }), 'apply of test failed (above)');
    expect(io.err).toContain('service api, replica 1: container test-api-1 is unhealthy, not healthy');
    expect(io.err).toContain('(exit 22) curl: (22) 503');
    expect(records()[0]).toMatchObject({ result: 'failed', headline: '0 to add, 1 to change, 0 to destroy' });
    expect(store.events.at(-1)).toBe('unlock');
  });

  it('a plan that fails (no headline): "plan of test failed", no health report', async () => {
    setUp(ENV, {}, { applies: [{ events: [failure('Invalid reference')], status: 1 }] });
    await failsWith(deploy(where, { env: 'test' }), 'plan of test failed (above)');
    expect(io.err).not.toContain('not healthy');
    expect(records()[0]).toMatchObject({ result: 'failed', headline: 'failed before the plan' });
  });

  const conflict = (plan: boolean) => ({ events: [...(plan ? [summary('plan', 1, 0, 0)] : []), failure('Unable to create container: Conflict. The container name "/test-api-2" is already in use by container "abc"')], status: 1 });

  it('a container left by an interrupted apply in the way of phase 1: the state read again, orphans removed, phase 1 retried once', async () => {
    setUp(ENV, { containers: [container('test-db-1')] }, { state: stateWith('test-db-1'), applies: [conflict(false), applied(0), applied(1)] });
    expect(await deploy(where, { env: 'test' })).toBe(0);
    expect(tofuCalls().map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['init -input=false', 'state pull', 'apply -json', 'state pull', 'apply -json', 'apply -json']);
  });

  it('the same in the main apply: said, the state read again, one retry whose own headline is recorded', async () => {
    setUp(ENV, { containers: [container('test-db-1')] }, { state: stateWith('test-db-1'), applies: [applied(0), conflict(true), applied(2)] });
    expect(await deploy(where, { env: 'test' })).toBe(0);
    expect(io.err).toContain('stackyard: a container or network from an interrupted deploy is in the way; removing orphans and retrying once');
    expect(tofuCalls().map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['init -input=false', 'state pull', 'apply -json', 'apply -json', 'state pull', 'apply -json']);
    expect(records()[0]).toMatchObject({ result: 'success', headline: '2 to add, 0 to change, 0 to destroy' });
  });

  it('in the way twice: the retry\'s failure stops the deploy', async () => {
    setUp(ENV, { containers: [container('test-db-1')] }, { state: stateWith('test-db-1'), applies: [applied(0), conflict(true), conflict(true)] });
    await failsWith(deploy(where, { env: 'test' }), 'apply of test failed (above)');
    expect(tofuCalls().filter((c) => c.startsWith('apply'))).toHaveLength(3);
  });

  it('an engine that asks for init after all (a provider changed under the lock file): init again, the command once more', async () => {
    setUp(ENV, {}, { applies: [{ stderr: 'Error: Inconsistent dependency lock file', status: 1 }, applied(7)] });
    await deploy(where, { env: 'test' }).catch(() => undefined); // initialises the folder
    tofu.clearCalls();
    expect(await deploy(where, { env: 'test' })).toBe(0);
    expect(tofuCalls().map((c) => c.split(' ')[0])).toEqual(['apply', 'init', 'apply']);
  });

  it('a failing init stops the deploy before the lock is taken', async () => {
    setUp(ENV, {}, { init: [{ stderr: 'Error: Failed to query available provider packages', status: 1 }], applies: [applied(1)] });
    await failsWith(deploy(where, { env: 'test' }), 'tofu init failed for test (above)');
    expect(io.err).toContain('Failed to query available provider packages');
    expect(store.events).toEqual([]);
  });

  it('someone else holds the deploy lock: exit 75 naming them; nothing applied, nothing recorded', async () => {
    setUp(ENV, {}, { applies: [applied(7)] });
    store.locks.set('test', { environment: 'test', holder: 'bob@ci', since: new Date().toISOString(), message: 'release 9', run: false });
    await failsWith(deploy(where, { env: 'test' }), /test is locked, held by bob@ci .*: release 9; nothing was deployed/, 75);
    expect(tofuCalls().filter((c) => c.startsWith('apply'))).toEqual([]);
    expect(store.records.size).toBe(0);
    store.locks.clear();
  });

  it('my own `lock acquire`: the deploy goes on and leaves the lock held', async () => {
    setUp(ENV, {}, { applies: [applied(7)] });
    store.locks.set('test', { environment: 'test', holder: 'alice@laptop', since: new Date().toISOString(), message: 'migration', run: false });
    expect(await deploy(where, { env: 'test' })).toBe(0);
    expect(store.locks.get('test')?.message).toBe('migration');
    expect(store.events).toEqual(['record']);
    store.locks.clear();
  });

  it('a host that does not answer: the host checks stop the deploy naming it; the engine never ran', async () => {
    setUp(ENV, { down: true }, { applies: [applied(7)] });
    await failsWith(deploy(where, { env: 'test' }), 'host checks failed for main (above); nothing was changed (stackyard hosts test checks again)');
    expect(io.err).toMatch(/FAIL main \(unix:\/\/\S+\): /);
    expect(tofuCalls()).toEqual([]);
  });

  it('a missing secret stops before init, naming it', async () => {
    delete process.env.TF_VAR_JWT_SECRET;
    setUp(ENV, {}, { applies: [applied(7)] });
    await failsWith(deploy(where, { env: 'test' }), /JWT_SECRET/);
    expect(tofuCalls()).toEqual([]);
  });
});

describe('releases', () => {
  const RELEASED = ENV.replace('name: test', 'name: test\nrelease: { tag: r3, images: [ghcr.io/acme/api] }').replace('    tag: "1.0"\n', '');
  const rec = (tag: string, day: number) => JSON.stringify({ at: `2026-11-0${day}T10:00:00.000Z`, who: 'a', environment: 'test', action: 'deploy', tag, headline: 'x', result: 'success', seconds: 1 });

  it('the tag deployed is recorded (a rollback\'s own tag and action too), and release images beyond the newest kept are pruned on success', async () => {
    setUp(RELEASED, {}, { applies: [applied(7)] });
    store.records.set('test', [rec('r1', 1), rec('r2', 2)].join('\n') + '\n');
    store.tags.set('ghcr.io/acme/api', ['r1', 'r2', 'r3', 'ci-build']);
    expect(await deploy(where, { env: 'test', keepReleases: 2 })).toBe(0);
    expect(records().at(-1)).toMatchObject({ action: 'deploy', tag: 'r3', result: 'success' });
    expect(store.removedImages).toEqual(['ghcr.io/acme/api:r1']);
    expect(io.err).toContain('pruned image ghcr.io/acme/api:r1 on unix://');
    expect(io.out).toMatch(/deployed test \(release r3\) in \d+s/);
    expect(await deploy(where, { env: 'test', tag: 'r2', action: 'rollback', keepReleases: 2 })).toBe(0);
    expect(records().at(-1)).toMatchObject({ action: 'rollback', tag: 'r2', result: 'success' });
    expect(tofuCalls().filter((c) => c.startsWith('apply'))).toHaveLength(2);
  });

  it('a failed deploy prunes nothing', async () => {
    setUp(RELEASED, {}, { applies: [{ events: [failure('boom')], status: 1 }] });
    store.tags.set('ghcr.io/acme/api', ['r1', 'r2', 'r3']);
    store.records.set('test', [rec('r1', 1), rec('r2', 2)].join('\n') + '\n');
    await failsWith(deploy(where, { env: 'test', keepReleases: 1 }), 'plan of test failed (above)');
    expect(store.removedImages).toEqual([]);
  });
});

describe('state encryption on the way', () => {
  it('a local state written in clear is encrypted by the deploy: said before, the fallback gone from the stack after', async () => {
    setUp(ENV, {}, { applies: [applied(7)] });
    fs.mkdirSync(path.join(root, '.stackyard', 'state'), { recursive: true });
    fs.writeFileSync(path.join(root, '.stackyard', 'state', 'test.tfstate'), JSON.stringify({ version: 4, serial: 3, resources: [] }));
    expect(await deploy(where, { env: 'test' })).toBe(0);
    expect(io.err).toContain('stackyard: the state of test is not encrypted yet; this deploy encrypts it (read once through the unencrypted fallback)');
    expect(io.err).toContain('stackyard: the state of test is encrypted; the unencrypted fallback is gone from');
    expect(fs.readFileSync(path.join(root, 'out', 'stacks', 'test', 'cdk.tf.json'), 'utf8')).not.toContain('unencrypted');
    // the apply itself was given the stack that reads the state through the fallback once
    expect(JSON.parse(tofu.stackOf(0)).terraform.encryption.state.fallback).toEqual({ method: 'method.unencrypted.migrate' });
    // the request to migrate lives only as long as the synthesis that needs it
    expect(process.env.STACKYARD_MIGRATE_STATE).toBeUndefined();
  });

  it('an encrypted or absent state is not migrated, and nothing says it was; a remote state is migrated when asked', async () => {
    setUp(ENV, {}, { applies: [applied(7)] });
    expect(await deploy(where, { env: 'test' })).toBe(0);
    expect(io.err).not.toContain('not encrypted yet');
    expect(io.err).not.toContain('the unencrypted fallback is gone');
    process.env.STACKYARD_MIGRATE_STATE = 'elsewhere';
    setUp(ENV.replace('name: test', 'name: test\nstate: { backend: pg }'), {}, { applies: [applied(7)] });
    expect(await deploy(where, { env: 'test', migrateState: true })).toBe(0);
    expect(io.err).toContain('stackyard: the state of test is not encrypted yet; this deploy encrypts it');
    // a value the caller had is given back
    expect(process.env.STACKYARD_MIGRATE_STATE).toBe('elsewhere');
  });
});

describe('down', () => {
  it('keeps the data volumes out of the destroy, destroys the rest, names the volumes kept, records it', async () => {
    setUp(ENV, { volumes: [{ Name: 'test-db-data', Labels: { 'stackyard.environment': 'test' } }] }, {
      stateList: 'docker_container.svc_db_1\ndocker_volume.vol_db_data\n',
      destroys: [{ events: [summary('plan', 0, 0, 5), ev('change_summary', 'Destroy complete! Resources: 5 destroyed.', { changes: { add: 0, change: 0, import: 0, remove: 5, forget: 0, operation: 'destroy' } })] }],
    });
    expect(await down(where, { env: 'test' })).toBe(0);
    const calls = tofuCalls();
    expect(calls).toContain('state rm -no-color docker_volume.vol_db_data');
    expect(calls).not.toContain('state rm -no-color docker_container.svc_db_1');
    expect(calls.at(-1)).toBe('destroy -json -auto-approve -input=false -no-color');
    expect(io.out).toContain('test-db-data');
    expect(store.events).toEqual(['lock down in progress', 'record', 'unlock']);
    expect(records()[0]).toMatchObject({ action: 'down', tag: '-', headline: 'down', result: 'success' });
  });

  it('a destroy that fails: its last lines and a stop; the failure recorded', async () => {
    setUp(ENV, {}, { stateList: '', destroys: [{ stderr: 'Error: something in the way', status: 1 }] });
    await failsWith(down(where, { env: 'test' }), 'destroy of test failed (above)');
    expect(io.err).toContain('Error: something in the way');
    expect(records()[0]).toMatchObject({ action: 'down', result: 'failed' });
  });
});
