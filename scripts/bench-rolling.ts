/**
 * `npm run bench:rolling`: rolling updates on the real engine under steady traffic. Deploys the
 * local topology as environment `rolling` (its own ports), sends GET and POST requests through
 * Traefik (scripts/traffic.ts: one client per backend replica, 24 requests/s together, each
 * request held 50 ms by the app so some are in flight when a replica stops) and runs:
 *
 *   tag-change   backend 1 → 2 (the 2-replica backend)
 *   env-change   a backend setting only
 *   rollback     `stackyard rollback rolling`: back to the previous release (tag 1), the
 *                user-facing command (it reads the environment's deploy records)
 *   unhealthy    backend → an image failing its healthcheck: the deploy must fail naming the
 *                replica and its health output, traffic must not; then the good tag converges
 *   singleton    the orchestrator (a singleton) 1 → 2: the gap, and that two never ran together
 *
 * Prints `scenario <name>: failed <x> of <n> requests` each, then `rolling failed requests: <x> of <n>`.
 * Then the yardstick: the same containers run by docker-compose (scripts/compose-from-stack.ts)
 * and the same backend tag change done with `docker-compose up -d`, under the same traffic:
 * `yardstick compose-tag-change: failed <x> of <n> requests` (not counted in the line above).
 * Each scenario also reads the engine's events of its deploys (STACKYARD_ENGINE_LOG, kept in
 * .stackyard/rolling-engine/<scenario>.jsonl) and says how many old replicas were removed and
 * whether each waited for its service's drain gate (lib/deploy/drain-order.ts), and how long the
 * traffic clients' own event loop was ever blocked: every child process runs asynchronously while
 * they run, since a blocked client counts replies it reads late as timeouts (scripts/traffic.ts).
 * Exits 1 when a scenario's deploy did not end as it must (success, or failure for `unhealthy`),
 * an old replica went before its drain gate, or the clients were blocked for a second or more.
 * Wrap it in `flock -o /tmp/stackyard-docker.lock` on a shared engine. Not a test, not in CI.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gatedRemovals, parseEvents, removalsBeforeDrain, runsOf } from '../lib/deploy/drain-order';
import { withSecretVersions } from '../lib/deploy/secret-versions';
import { composeFromStack } from './compose-from-stack';
import { request, STALL_MS, steadyTraffic, type TrafficCounts } from './traffic';

const ROOT = path.resolve(__dirname, '..', '..');
const ENV = 'rolling';
const PORT = Number(process.env.BENCH_ROLLING_PORT ?? 18301);
const ENV_DIR = path.join(ROOT, '.stackyard', 'rolling-environments');
const TOOLS = process.env.STACKYARD_TOOLS ?? path.join(ROOT, '.tools');
/**
 * The backend is a released image (`release:`): its tag is the release tag, given per deploy as
 * TF_VAR_RELEASE_TAG as a CI deploy does, recorded on the host, and what `stackyard rollback`
 * goes back to. A repository only this bench uses, tagged from the demo image's versions.
 */
const REPO = 'stackyard-rolling/backend';
const RELEASES = ['1', '2', 'unhealthy'];
const SECRETS = ['DB_PASSWORD', 'REDIS_PASSWORD', 'JWT_SECRET', 'CRYPTOPANIC_API_KEY', 'NEWSCATCHER_API_KEY', 'NANSEN_API_KEY', 'STATE_PASSPHRASE'];

const toolEnv: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: `${path.join(TOOLS, 'bin')}:${process.env.PATH}`,
  TF_CLI_CONFIG_FILE: path.join(TOOLS, 'tofurc'),
  TERRAFORM_BINARY_NAME: 'tofu',
  CHECKPOINT_DISABLE: '1',
  ENVIRONMENTS_DIR: ENV_DIR,
  STACKYARD_SKIP_BUILD: '1',
  ...Object.fromEntries(SECRETS.map((s) => [`TF_VAR_${s}`, `rolling-${crypto.randomBytes(12).toString('hex')}`])),
};

interface Topology { backendTag: string; backendSetting: string; orchestratorTag: string }

/**
 * The environment file. Released (stackyard's deploys): the backend's tag is the release tag, so
 * the file pins only the first release and each deploy names its own. Not released (the compose
 * yardstick, which reads the synthesized stack and has no release variable): the tag in the file.
 */
function writeEnvironment(t: Topology, released = true): void {
  fs.mkdirSync(ENV_DIR, { recursive: true });
  const local = path.relative(ENV_DIR, path.join(ROOT, 'environments', 'local.yaml'));
  const env = `env: { RUN_COLLECTORS: "False", BENCH_SETTING: "${t.backendSetting}" }`;
  fs.writeFileSync(path.join(ENV_DIR, `${ENV}.yaml`), [
    `name: ${ENV}`,
    `extends: ${local}`,
    ...(released ? [`release: { tag: "1", images: [${REPO}] }`] : []),
    'services:',
    `  proxy: { entrypoints: { web: ${PORT} }, dashboard: { port: ${PORT + 89} } }`,
    released ? `  backend: { image: ${REPO}, tag: null, ${env} }` : `  backend: { tag: "${t.backendTag}", ${env} }`,
    `  orchestrator: { tag: "${t.orchestratorTag}" }`,
    '',
  ].join('\n'));
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: toolEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

type Run = { code: number | null; output: string; stdout: string; seconds: number };

/**
 * A command run without blocking: the traffic clients share this process's event loop, and a
 * spawnSync while they run makes replies read late count as timeouts (scripts/traffic.ts).
 */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = toolEnv, cwd = ROOT): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      output += d;
      stdout += d;
    });
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output, stdout, seconds: (Date.now() - t0) / 1000 }));
  });
}

/** The engine's events of every run of a scenario (STACKYARD_ENGINE_LOG), read by lib/deploy/drain-order.ts. */
let engineLog = '';

/** `stackyard <args>` as a user runs it (the compiled command), its output collected. */
function stackyard(args: string[], env: NodeJS.ProcessEnv = toolEnv): Promise<Run> {
  return run(process.execPath, [path.join(ROOT, 'dist', 'bin', 'stackyard.js'), ...args], engineLog ? { ...env, STACKYARD_ENGINE_LOG: engineLog } : env);
}

/** `stackyard deploy rolling` of this topology, the backend's release tag given as a CI deploy gives it. */
function deploy(t: Topology): Promise<Run> {
  writeEnvironment(t);
  return stackyard(['deploy', ENV], { ...toolEnv, TF_VAR_RELEASE_TAG: t.backendTag });
}

/** The environment's deploy records and lock on the host, so `rollback` sees this run's releases only. */
function forgetRecords(): void {
  spawnSync('docker', ['rm', '-f', `stackyard-lock-${ENV}`, `stackyard-records-${ENV}`], { stdio: 'ignore' });
  spawnSync('docker', ['volume', 'rm', `stackyard-records-${ENV}`], { stdio: 'ignore' });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Watches the events of the environment's containers of one service (docker events, live: the
 * daemon keeps only its last 256 events, which healthchecks of a busy engine fill in seconds).
 */
function watchEvents(service: string): { stop: () => Promise<{ status: string; name: string; at: number }[]> } {
  const child = spawn('docker', ['events', '--filter', `label=stackyard.environment=${ENV}`, '--filter', `label=stackyard.service=${service}`,
    '--filter', 'type=container', '--format', '{{json .}}'], { cwd: ROOT, env: toolEnv });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return {
    stop: async () => {
      await sleep(500); // the last events reach the stream
      child.kill();
      return out.split('\n').filter(Boolean).map((l) => JSON.parse(l)).map((e) => ({ status: e.status ?? e.Action, name: e.Actor?.Attributes?.name ?? '', at: e.timeNano / 1e6 }));
    },
  };
}

interface Result { name: string; counts: TrafficCounts; seconds: number; ok: boolean; notes: string[] }

const ENGINE_LOGS = path.join(ROOT, '.stackyard', 'rolling-engine');

/**
 * For each service with a drain gate, how many old replicas the scenario's applies removed and
 * whether every removal waited for the gate (lib/deploy/drain-order.ts), from the engine's events.
 */
function drainOrder(log: string): { ok: boolean; notes: string[] } {
  const runs = runsOf(parseEvents(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''));
  const removed = new Map<string, number>();
  for (const r of runs) for (const [s, n] of gatedRemovals(r)) removed.set(s, (removed.get(s) ?? 0) + n);
  const early = runs.flatMap(removalsBeforeDrain);
  const counted = [...removed].map(([s, n]) => `${s} ${n}`).join(', ');
  if (!removed.size) return { ok: true, notes: [] };
  return { ok: !early.length, notes: [`old replicas removed (engine events): ${counted}; ${early.length ? `BEFORE their drain gate: ${early.join('; ')}` : 'each after its drain gate'}`] };
}

async function scenario(name: string, steps: () => Promise<{ ok: boolean; seconds: number; notes: string[] }>, heading = 'scenario'): Promise<Result> {
  fs.mkdirSync(ENGINE_LOGS, { recursive: true });
  engineLog = path.join(ENGINE_LOGS, `${name}.jsonl`);
  fs.rmSync(engineLog, { force: true });
  const traffic = steadyTraffic({ port: PORT, clients: 2, rate: 24, delaySeconds: 0.05, maxSeconds: 600 });
  await sleep(1000);
  const r = await steps();
  await sleep(3000); // requests after the deploy ended count too: the old replicas are gone by now
  const counts = await traffic.stop();
  const order = drainOrder(engineLog);
  engineLog = '';
  // a client blocked this long measured itself, not the deploy
  const valid = counts.stalledMs < STALL_MS;
  const ok = r.ok && order.ok && valid;
  console.log(`${heading} ${name}: failed ${counts.failed} of ${counts.sent} requests`);
  console.log(`  deploy ${r.seconds.toFixed(1)} s, ${ok ? 'as expected' : 'NOT as expected'}; replies by version ${JSON.stringify(counts.versions)}; slowest request ${(counts.slowestMs / 1000).toFixed(2)} s; client blocked at most ${(counts.stalledMs / 1000).toFixed(2)} s${valid ? '' : ' (NOT VALID: the clients were blocked, their failures are their own)'}`);
  for (const n of [...r.notes, ...order.notes]) console.log(`  ${n}`);
  for (const f of counts.failures) console.log(`  failed: ${f}`);
  return { name, counts, seconds: r.seconds, ok, notes: r.notes };
}

const tail = (s: string, n = 30) => s.trim().split('\n').slice(-n).join('\n');

/** Waits until the proxy routes both backend replicas (Traefik applies Docker events after a 2 s throttle). */
async function bothReplicasRouted(): Promise<void> {
  const seen = new Set<string>();
  for (const t0 = Date.now(); seen.size < 2 && Date.now() - t0 < 60_000; await sleep(200)) {
    const r = await request({ port: PORT });
    if (r.ok && r.body?.replica) seen.add(r.body.replica);
  }
  if (seen.size < 2) throw new Error('the proxy never routed both backend replicas');
}

const COMPOSE_DIR = path.join(ROOT, '.stackyard', 'rolling-compose');

/** The compose file of the topology: synthesized by stackyard, converted by compose-from-stack. */
async function composeFile(t: Topology): Promise<string> {
  writeEnvironment(t, false);
  const synth = await stackyard(['synth', ENV]);
  if (synth.code !== 0) throw new Error(`stackyard synth ${ENV} failed:\n${tail(synth.output)}`);
  const stack = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdktf.out', 'stacks', ENV, 'cdk.tf.json'), 'utf8'));
  fs.mkdirSync(path.join(COMPOSE_DIR, 'secrets'), { recursive: true, mode: 0o700 });
  const file = path.join(COMPOSE_DIR, 'docker-compose.yml');
  const before = { ...process.env };
  Object.assign(process.env, Object.fromEntries(SECRETS.map((n) => [`TF_VAR_${n}`, toolEnv[`TF_VAR_${n}`]])));
  try {
    fs.writeFileSync(file, composeFromStack(stack, path.join(COMPOSE_DIR, 'secrets')));
  } finally {
    process.env = before;
  }
  return file;
}

const compose = (file: string, args: string[]) => run('docker-compose', ['-p', 'rollingcompose', '-f', file, ...args]);

/** The yardstick: compose runs the same containers, then `up -d` with the new backend tag. */
async function composeYardstick(): Promise<Result> {
  const file = await composeFile({ backendTag: '1', backendSetting: '1', orchestratorTag: '1' });
  await compose(file, ['down', '-v', '--remove-orphans']);
  const up = await compose(file, ['up', '-d']);
  if (up.code !== 0) throw new Error(`docker-compose up failed:\n${tail(up.output)}`);
  try {
    await bothReplicasRouted();
    return await scenario('compose-tag-change', async () => {
      const next = await composeFile({ backendTag: '2', backendSetting: '1', orchestratorTag: '1' });
      const r = await compose(next, ['up', '-d']);
      return { ok: r.code === 0, seconds: r.seconds, notes: r.code === 0 ? ['docker-compose up -d: stops each old backend container, then starts the new one'] : [tail(r.output)] };
    }, 'yardstick');
  } finally {
    await compose(file, ['down', '-v', '--remove-orphans']);
  }
}

async function main(): Promise<number> {
  for (const step of ['engine-docker.sh start', 'engine.sh', 'images.sh']) sh('bash', ['-c', `bash scripts/${step} >/dev/null`]);
  for (const tag of RELEASES) sh('docker', ['tag', `stackyard/demo-app:${tag}`, `${REPO}:${tag}`]);
  writeEnvironment({ backendTag: '1', backendSetting: '1', orchestratorTag: '1' });
  spawnSync('bash', ['scripts/down.sh', ENV, '--volumes', '--yes'], { cwd: ROOT, env: toolEnv, stdio: 'ignore' });
  fs.rmSync(path.join(ROOT, '.stackyard', 'state', `${ENV}.tfstate`), { force: true });
  forgetRecords();

  let topology: Topology = { backendTag: '1', backendSetting: '1', orchestratorTag: '1' };
  const first = await deploy(topology);
  if (first.code !== 0) throw new Error(`the first deploy failed:\n${tail(first.output)}`);
  console.log(`first deploy of ${ENV}: ${first.seconds.toFixed(1)} s`);
  await bothReplicasRouted();

  const change = (next: Partial<Topology>, expectFailure = false) => async () => {
    topology = { ...topology, ...next };
    const d = await deploy(topology);
    const ok = expectFailure ? d.code !== 0 : d.code === 0;
    return { ok, seconds: d.seconds, notes: ok ? [] : [tail(d.output)] };
  };
  const results: Result[] = [];
  results.push(await scenario('tag-change', change({ backendTag: '2' })));
  results.push(await scenario('env-change', change({ backendSetting: '2' })));
  results.push(await scenario('rollback', async () => {
    // the user-facing command: it reads the records on the host and deploys the release before
    // the current one (2) through the same path as a deploy
    const r = await stackyard(['rollback', ENV]);
    const said = r.output.split('\n').find((l) => l.includes(`rolling ${ENV} back to release`))?.trim() ?? 'no "rolling back to release" line';
    const back = /back to release 1$/.test(said);
    if (back) topology = { ...topology, backendTag: '1' };
    const ok = r.code === 0 && back;
    return { ok, seconds: r.seconds, notes: [`stackyard rollback ${ENV}: ${said}`, ...(ok ? [] : [tail(r.output)])] };
  }));
  results.push(await scenario('unhealthy', async () => {
    const previous = topology;
    const bad = await change({ backendTag: 'unhealthy' }, true)();
    const d = await deploy({ ...topology });
    const report = d.output.split('\n').filter((l) => /service backend, replica|health output|\(exit \d+\)/.test(l)).slice(0, 4);
    const named = report.some((l) => /service backend, replica 1/.test(l)) && report.some((l) => /\(exit \d+\)/.test(l));
    // the next deploy with the good image converges, and a plan after it is empty
    topology = previous;
    const good = await deploy(topology);
    const stackDir = path.join(ROOT, 'cdktf.out', 'stacks', ENV);
    const stack = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    const plan = await run('tofu', ['plan', '-detailed-exitcode', '-input=false', '-no-color'], withSecretVersions(stack, { ...toolEnv, TF_VAR_RELEASE_TAG: topology.backendTag }), stackDir);
    const notes = [
      `the failing deploy took ${bad.seconds.toFixed(1)} s (a second attempt ${d.seconds.toFixed(1)} s, exit ${d.code}); it said:`,
      ...report.map((l) => `  ${l.trim()}`),
      `then tag ${topology.backendTag} again: exit ${good.code} in ${good.seconds.toFixed(1)} s; plan afterwards: ${plan.code === 0 ? 'no changes' : `exit ${plan.code}`}`,
    ];
    return { ok: bad.ok && d.code !== 0 && named && good.code === 0 && plan.code === 0, seconds: bad.seconds + d.seconds + good.seconds, notes };
  }));
  results.push(await scenario('singleton', async () => {
    const watch = watchEvents('orchestrator');
    await sleep(500);
    const r = await change({ orchestratorTag: '2' })();
    const ev = await watch.stop();
    const died = ev.filter((e) => e.status === 'die').map((e) => e.at);
    const started = ev.filter((e) => e.status === 'start').map((e) => e.at);
    const healthy = ev.filter((e) => e.status.startsWith('health_status: healthy')).map((e) => e.at);
    const gap = died.length && started.length ? (Math.min(...started) - Math.max(...died)) / 1000 : NaN;
    const serving = died.length && healthy.length ? (Math.min(...healthy) - Math.max(...died)) / 1000 : NaN;
    const notes = [`orchestrator: old stopped → new started ${gap.toFixed(2)} s, → new healthy ${serving.toFixed(2)} s; two never ran together: ${gap >= 0 ? 'yes' : 'NO'} (${died.length} die, ${started.length} start events)`];
    return { ok: r.ok && gap >= 0, seconds: r.seconds, notes };
  }));
  const failed = results.reduce((a, r) => a + r.counts.failed, 0);
  const sent = results.reduce((a, r) => a + r.counts.sent, 0);
  console.log(`rolling failed requests: ${failed} of ${sent}`);
  spawnSync('bash', ['scripts/down.sh', ENV, '--volumes', '--yes'], { cwd: ROOT, env: toolEnv, stdio: 'ignore' });
  forgetRecords();
  for (const tag of RELEASES) spawnSync('docker', ['rmi', `${REPO}:${tag}`], { stdio: 'ignore' });
  const yardstick = process.env.BENCH_ROLLING_COMPOSE === '0' ? undefined : await composeYardstick();
  return results.every((r) => r.ok) && (yardstick?.ok ?? true) ? 0 : 1;
}

main().then((code) => (process.exitCode = code), (e) => {
  console.error(`bench:rolling: ${(e as Error).message}`);
  process.exitCode = 1;
});
