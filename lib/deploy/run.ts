/**
 * `stackyard deploy`, `rollback` and `down`: the steps scripts/deploy.sh and down.sh ran, in
 * one process, with OpenTofu run directly: one `tofu init`, one `state pull` for the reaper and
 * the phase decision, phase 1 (`apply -target`) only when something already runs, then `plan
 * -out` and `apply <plan>` (the apply does not refresh again, and the plan's headline goes to the
 * record). Every decision is a tested function of lib/deploy/; this file only sequences them.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decideRunLock, pidAlive, thisProcess, whoAmI } from './deploy-lock';
import { resolveEngine, runEngine, type Engine } from './engine';
import { MIGRATE_STATE_VARIABLE } from './encryption';
import { createLock, readLock, readRecordsText, removeLock, writeRecordsText, localTags, removeImage } from './host-store';
import { appendRecord, NO_TAG, parseRecords, planHeadline, tagsToPrune, type RecordAction } from './records';
import { confirmDown, DeployStop, deploySecrets, givenPassphrase, hostListings, needsMigration, phaseOneArgs, readStack, reap, say, unhealthy, volumes } from './steps';
import { removalsBeforeDrain, runsOf } from './drain-order';
import { firstDeployStack, onHosts } from './first-deploy';
import { prepareVersionKey } from './secret-versions';
import { liveView, Reporter, subjectsOf, type EngineEvent } from './progress';
import { dockerHosts, parseState, type StackJson, type StateJson } from './stack-json';

export interface Where {
  readonly root: string;
  readonly environmentsDir: string;
  readonly outDir: string;
}

export const LOCKED_EXIT = 75;

export class LockedStop extends DeployStop {
  override readonly exitCode: number = LOCKED_EXIT;
}

/** Synthesizes one environment into <out>/stacks/<env>; never acts on a stale synthesis. */
export async function synthOne(where: Where, env: string, migrate = false): Promise<string> {
  const dir = path.resolve(where.root, where.outDir, 'stacks', env);
  fs.rmSync(path.join(dir, 'cdk.tf.json'), { force: true });
  const before = process.env[MIGRATE_STATE_VARIABLE];
  if (migrate) process.env[MIGRATE_STATE_VARIABLE] = env;
  else delete process.env[MIGRATE_STATE_VARIABLE];
  try {
    // loaded here, not at the top: commands that never synthesize (help) stay fast
    const { synthEnvironments } = await import('../app');
    const code = synthEnvironments({ dir: where.environmentsDir, outdir: path.resolve(where.root, where.outDir), only: [env], quiet: true });
    if (code !== 0) throw new DeployStop(`synthesis of ${env} failed (above)`);
  } finally {
    if (before === undefined) delete process.env[MIGRATE_STATE_VARIABLE];
    else process.env[MIGRATE_STATE_VARIABLE] = before;
  }
  if (!fs.existsSync(path.join(dir, 'cdk.tf.json'))) throw new DeployStop(`no environment named ${env} in ${where.environmentsDir}/`);
  return dir;
}

/** The release tag a run deploys: TF_VAR_RELEASE_TAG or the pinned `release.tag`; `-` without `release:`. */
export function releaseTagOf(stack: StackJson, vars: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv): string {
  const v = stack.variable?.RELEASE_TAG as { default?: string } | undefined;
  if (!v) return NO_TAG;
  return vars.get('TF_VAR_RELEASE_TAG') ?? env.TF_VAR_RELEASE_TAG ?? v.default ?? NO_TAG;
}

/** Repositories whose tag is the release tag, per host: what a prune looks at. */
export function releaseRepositories(stack: StackJson): { host: string; repository: string }[] {
  const hosts = new Map(dockerHosts(stack).map((h) => [h.alias, h.host]));
  const images = ((stack.resource as Record<string, unknown> | undefined)?.docker_image ?? {}) as Record<string, { name?: string; provider?: string }>;
  const out = new Map<string, { host: string; repository: string }>();
  for (const img of Object.values(images)) {
    const m = /^(.+):\$\{var\.RELEASE_TAG\}$/.exec(img.name ?? '');
    const host = hosts.get((img.provider ?? '').replace(/^docker\./, '')) ?? [...hosts.values()][0];
    if (m && host) out.set(`${host} ${m[1]}`, { host, repository: m[1] });
  }
  return [...out.values()].sort((a, b) => a.host.localeCompare(b.host) || a.repository.localeCompare(b.repository));
}

const show = (l: string) => l.trim() !== '' && !/Resource targeting is in effect|The -target option is not for routine use|^\s*(│|╷|╵)\s*$/.test(l);
// the apply failed on a container or network an interrupted deploy left (Docker has it, the state not)
const inTheWay = (tail: readonly string[]) => tail.some((l) => /is already in use by container|network with name .* already exists/.test(l));

interface RunContext {
  readonly env: string;
  readonly dir: string;
  readonly stack: StackJson;
  readonly engine: Engine;
  readonly vars: Map<string, string>;
  readonly firstHost?: string;
  readonly who: string;
  tookLock: boolean;
  /** The state before this run's applies: names what the stack no longer has (lib/deploy/progress.ts). */
  stateBefore?: StateJson;
}

async function tf(ctx: RunContext, args: string[], opts: { show?: boolean; keepStdout?: boolean; reporter?: Reporter; events?: EngineEvent[]; onPlan?: (headline: string) => void } = {}) {
  const reporter = opts.reporter;
  const once = () => runEngine(ctx.engine, reporter ? [args[0], '-json', ...args.slice(1)] : args, {
    cwd: ctx.dir, vars: ctx.vars, show: opts.show ? show : undefined, keepStdout: opts.keepStdout,
    onEvent: reporter ? (e) => {
      opts.events?.push(e);
      reporter.event(e);
      if (e.type === 'change_summary' && e.changes?.operation === 'plan' && e['@message']) opts.onPlan?.(planHeadline([e['@message']]));
    } : undefined,
    print: reporter ? (l) => reporter.text(l) : undefined,
    rawLog: reporter ? process.env.STACKYARD_ENGINE_LOG : undefined,
  });
  const r = await once();
  if (r.status === 0 || args[0] === 'init' || !asksForInit(r.tail)) return r;
  // an init skipped as current was not: run it, and the command once more
  await init(ctx, `tofu init failed for ${ctx.env} (above)`, true);
  return once();
}

/**
 * An apply or destroy with its progress shown (lib/deploy/progress.ts): a live table on a
 * terminal, timestamped lines otherwise (CI, pipes, STACKYARD_PROGRESS=plain).
 */
async function tfWithProgress(ctx: RunContext, title: string, args: string[], onPlan?: (headline: string) => void) {
  const live = liveView(process.stdout.isTTY === true, process.env);
  const reporter = new Reporter(title, subjectsOf(ctx.stack, ctx.stateBefore), {
    live,
    write: (t) => process.stdout.write(t),
    size: () => ({ columns: process.stdout.columns || 100, rows: process.stdout.rows || 30 }),
    now: Date.now,
  });
  const timer = live ? setInterval(() => reporter.tick(), 1000) : undefined;
  const events: EngineEvent[] = [];
  try {
    const r = await tf(ctx, args, { show: true, reporter, events, onPlan });
    return { ...r, summary: reporter.progress.summary, live };
  } finally {
    if (timer) clearInterval(timer);
    reporter.finish();
    // old replicas of a start-first service go after its drain gate (lib/deploy/drain-order.ts): say so if one did not
    for (const early of runsOf(events).flatMap(removalsBeforeDrain)) say(`warning: ${early}: requests in flight to it may have been cut`);
  }
}

/**
 * Runs `fn` with the stack folder's cdk.tf.json replaced by `alt` (lib/deploy/first-deploy.ts),
 * then puts the synthesized stack back, so later engine commands there (plan, import, a plain
 * apply) see what was synthesized: also when the run is interrupted (SIGINT, SIGTERM, SIGHUP put
 * it back, then the signal takes its usual course). Only SIGKILL leaves the copy; every stackyard
 * command synthesizes afresh before it runs the engine.
 */
export async function withStackFile<T>(dir: string, alt: { stack: StackJson } | undefined, fn: () => Promise<T>): Promise<T> {
  if (!alt) return fn();
  const file = path.join(dir, 'cdk.tf.json');
  const synthesized = fs.readFileSync(file, 'utf8');
  const restore = () => fs.writeFileSync(file, synthesized);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    restore();
    for (const s of signals) process.off(s, onSignal);
    process.kill(process.pid, signal); // no handler left: the default action (exit)
  };
  fs.writeFileSync(file, JSON.stringify(alt.stack, null, 2));
  for (const s of signals) process.on(s, onSignal);
  try {
    return await fn();
  } finally {
    for (const s of signals) process.off(s, onSignal);
    restore();
  }
}

const INIT_STAMP = path.join('.terraform', 'stackyard-init');

/** What `tofu init` depends on in a stack: its terraform block (backend, encryption, providers). */
export function initKey(stack: StackJson): string {
  return createHash('sha256').update(JSON.stringify((stack as { terraform?: unknown }).terraform ?? null)).digest('hex');
}

/**
 * `tofu init` when the stack folder was not initialised for this terraform block yet (or
 * `always`); skipped otherwise, which saves a second or two per deploy. A stale init that slips
 * through (a provider mirror changed under the lock file) makes the engine ask for init: the
 * caller then runs it with `always` and retries once.
 */
async function init(ctx: RunContext, failure: string, always = false): Promise<void> {
  const stamp = path.join(ctx.dir, INIT_STAMP);
  const key = initKey(ctx.stack);
  if (!always && fs.existsSync(path.join(ctx.dir, '.terraform.lock.hcl')) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === key) return;
  fs.rmSync(stamp, { force: true });
  const r = await tf(ctx, ['init', '-input=false', '-no-color']);
  if (r.status !== 0) {
    process.stderr.write(r.tail.slice(-20).join('\n') + '\n');
    throw new DeployStop(failure);
  }
  fs.writeFileSync(stamp, key);
}

/** The engine refused because the folder needs `tofu init` (backend or providers changed). */
export const asksForInit = (tail: readonly string[]) => tail.some((l) => /(tofu|terraform) init|Backend initialization required|Inconsistent dependency lock file|Required plugins are not installed/i.test(l));

/** The pulled state for naming progress; unreadable is no reason to stop (the reaper decides on it). */
function readableState(text: string): StateJson | undefined {
  try {
    return parseState(text);
  } catch {
    return undefined;
  }
}

async function pullState(ctx: RunContext): Promise<string> {
  const r = await tf(ctx, ['state', 'pull'], { keepStdout: true });
  if (r.status !== 0) {
    process.stderr.write(r.tail.slice(-10).join('\n') + '\n');
    throw new DeployStop(`could not read the state of ${ctx.env} (above)`);
  }
  return r.stdout;
}

/** Takes the environment's deploy lock on its first host for this run, or refuses naming who holds it. */
function lockForRun(ctx: RunContext, what: string): void {
  if (!ctx.firstHost) return;
  const me = thisProcess();
  for (let attempt = 0; attempt < 3; attempt++) {
    // create first (one call when it is free: Docker refuses a second container of the name)
    if (createLock(ctx.firstHost, { environment: ctx.env, holder: ctx.who, since: new Date().toISOString(), message: `${what === 'destroyed' ? 'down' : 'deploy'} in progress`, run: true, process: me })) {
      ctx.tookLock = true;
      return;
    }
    const held = readLock(ctx.firstHost, ctx.env);
    const d = decideRunLock(ctx.env, held, ctx.who, what, new Date(), { process: me, alive: pidAlive });
    if (d.kind === 'refuse') throw new LockedStop(d.message);
    if (d.kind === 'mine') return;
    if (d.kind === 'stale' && held) {
      say(d.message);
      removeLock(ctx.firstHost, ctx.env, held.id);
    }
    // released (or stale and removed) between the create and the read: try again
  }
  throw new LockedStop(`${ctx.env} was locked by another run while this one started; nothing was done`);
}

function unlock(ctx: RunContext): void {
  if (ctx.tookLock && ctx.firstHost) {
    try {
      removeLock(ctx.firstHost, ctx.env);
    } catch (e) {
      say(`could not release the deploy lock of ${ctx.env}: ${(e as Error).message}`);
    }
  }
}

function record(ctx: RunContext, action: RecordAction, tag: string, headline: string, ok: boolean, started: number): string {
  if (!ctx.firstHost) return '';
  try {
    const text = appendRecord(readRecordsText(ctx.firstHost, ctx.env), {
      at: new Date().toISOString(), who: ctx.who, environment: ctx.env, action, tag, headline, result: ok ? 'success' : 'failed', seconds: Math.round((Date.now() - started) / 1000),
    });
    writeRecordsText(ctx.firstHost, ctx.env, text);
    return text;
  } catch (e) {
    say(`could not write the deploy record of ${ctx.env}: ${(e as Error).message}`);
    return '';
  }
}

/** Removes release images beyond the newest `keep` releases (images a container uses stay). */
export function pruneImages(stack: StackJson, recordsText: string, keep: number): void {
  const records = parseRecords(recordsText);
  for (const { host, repository } of releaseRepositories(stack)) {
    for (const tag of tagsToPrune(localTags(host, repository), records, keep)) {
      if (removeImage(host, `${repository}:${tag}`)) say(`pruned image ${repository}:${tag} on ${host} (older than the last ${keep} releases)`);
    }
  }
}

/** `stackyard: <what> (<seconds since the run started>s)`: where a long run spends its time. */
function stepper(started: number): (what: string) => void {
  return (what) => say(`${what} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
}

/**
 * `stackyard hosts` (lib/ops/hosts.ts) before anything touches a host: every host of the
 * environment reachable with its pinned key, a recent enough engine, free disk, clock skew. A
 * host that fails stops the deploy there, each failure printed with its fix; nothing was changed.
 */
export async function checkHostsFirst(where: Where, env: string): Promise<void> {
  // loaded here, not at the top: like the synthesizer, only when a deploy runs
  const { loadModel } = await import('../ops/model');
  const { blocksDeploy, formatHostCheck, runHostChecks } = await import('../ops/hosts');
  const checks = await runHostChecks(loadModel(env, where.environmentsDir));
  for (const c of checks.filter((c) => !c.ok && !blocksDeploy(c))) process.stderr.write(`warning: ${formatHostCheck(c)}\n`);
  const failed = checks.filter(blocksDeploy);
  if (!failed.length) return;
  for (const c of failed) process.stderr.write(`${formatHostCheck(c)}\n`);
  throw new DeployStop(`host checks failed for ${failed.map((c) => c.host).join(', ')} (above); nothing was changed (stackyard hosts ${env} checks again)`);
}

export interface DeployOptions {
  readonly env: string;
  readonly generateSecrets?: boolean;
  readonly adoptOrphans?: boolean;
  readonly migrateState?: boolean;
  /** Deploy this release tag (rollback). */
  readonly tag?: string;
  readonly action?: RecordAction;
  readonly keepReleases?: number;
}

export async function deploy(where: Where, o: DeployOptions): Promise<number> {
  const started = Date.now();
  const step = stepper(started);
  // the secret-version key, derived on another thread while this one synthesizes and checks the hosts
  const keyAhead = prepareVersionKey(givenPassphrase(where.root, o.env), o.env);
  let dir = await synthOne(where, o.env);
  step(`synthesized ${o.env}`);
  await checkHostsFirst(where, o.env);
  step('hosts checked');
  const engine = resolveEngine(where.root);
  let migrating = false;
  // A local state written before state encryption is read once through the `unencrypted` fallback
  // and written back encrypted (lib/deploy/encryption.ts); a remote one needs --migrate-state.
  if (needsMigration(where.root, dir, o.migrateState === true)) {
    say(`the state of ${o.env} is not encrypted yet; this deploy encrypts it (read once through the unencrypted fallback)`);
    migrating = true;
    dir = await synthOne(where, o.env, true);
  }
  const { stack } = readStack(dir);
  const vars = deploySecrets(where.root, dir, o.generateSecrets ? 'generate' : 'require', await keyAhead);
  if (o.tag) vars.set('TF_VAR_RELEASE_TAG', o.tag);
  const ctx: RunContext = { env: o.env, dir, stack, engine, vars, firstHost: dockerHosts(stack)[0]?.host, who: whoAmI(), tookLock: false };
  await init(ctx, `tofu init failed for ${o.env} (above)`);
  lockForRun(ctx, 'deployed');
  step(`engine ready, deploy lock held`);
  const action = o.action ?? 'deploy';
  const tag = releaseTagOf(stack, vars, process.env);
  let headline = 'failed before the plan';
  let ok = false;
  try {
    const listed = hostListings(dir);
    // Nothing of the environment on its hosts: no orphan to reap, nothing to replace, nothing
    // running to put in phase 1; the state is not read here (the apply reads it, and refreshes away
    // whatever it still lists), which saves an engine run and its key derivations.
    const something = onHosts(listed);
    const state = something ? await pullState(ctx) : '';
    ctx.stateBefore = readableState(state);
    // the state again before a retry: the live view names what the retry replaces from it
    const restate = async () => {
      const again = await pullState(ctx);
      ctx.stateBefore = readableState(again);
      return again;
    };
    if (something) {
      reap(dir, state, o.adoptOrphans === true, listed);
      step('state read, orphans checked');
    } else step(`nothing of ${o.env} on its hosts: no orphan, nothing to replace (state not read before the apply)`);
    // Phase 1: the one-shot jobs and everything that does not run after one, plus -replace of a
    // job that failed in an earlier deploy; nothing when nothing runs yet.
    const first = phaseOneArgs(dir, state);
    const fresh = ctx.stateBefore && firstDeployStack(stack, ctx.stateBefore);
    if (fresh) say(`nothing deployed yet of ${fresh.services.join(', ')}: replicas start together, no drain (nothing to replace)`);
    if (first.length) {
      const applyFirst = () => tfWithProgress(ctx, `${o.env}, phase 1 (one-shot jobs first)`, ['apply', '-auto-approve', '-input=false', '-no-color', ...first]);
      let r = await applyFirst();
      if (r.status !== 0 && inTheWay(r.tail)) {
        reap(dir, await restate(), o.adoptOrphans === true);
        r = await applyFirst();
      }
      if (r.status !== 0) {
        headline = 'phase 1 failed';
        unhealthy(dir);
        throw new DeployStop('phase 1 failed (a one-shot job, or what it needs); nothing that runs after a job was changed');
      }
    }
    // One `apply`: its plan (and the one refresh) then the changes, in one engine process; the
    // plan's headline comes from its change_summary event.
    const planAndApply = async () => {
      let planned: string | undefined;
      const a = await tfWithProgress(ctx, `${action} of ${o.env}`, ['apply', '-auto-approve', '-input=false', '-no-color'], (h) => {
        planned = headline = h;
        step(`plan for ${o.env}: ${h}`);
      });
      return { ...a, planned: planned !== undefined };
    };
    const r = await withStackFile(dir, fresh, async () => {
      let r = await planAndApply();
      if (r.status !== 0 && inTheWay(r.tail)) {
        // A killed earlier apply can leave a container Docker created but the state never recorded.
        say('a container or network from an interrupted deploy is in the way; removing orphans and retrying once');
        reap(dir, await restate(), o.adoptOrphans === true);
        headline = 'failed before the plan'; // the retry's own plan says what it changes
        r = await planAndApply();
      }
      return r;
    });
    if (r.status !== 0) {
      if (r.planned) unhealthy(dir);
      throw new DeployStop(`${r.planned ? 'apply' : 'plan'} of ${o.env} failed (above)`);
    }
    if (migrating) {
      // The state is encrypted now: leave the stack folder without the fallback, so a later engine
      // command there (plan, import, state) enforces encryption again.
      await synthOne(where, o.env);
      say(`the state of ${o.env} is encrypted; the unencrypted fallback is gone from ${dir}`);
    }
    ok = true;
  } finally {
    const text = record(ctx, action, tag, headline, ok, started);
    if (ok && text && tag !== NO_TAG) {
      try {
        pruneImages(stack, text, o.keepReleases ?? 5);
      } catch (e) {
        say(`image pruning skipped: ${(e as Error).message}`);
      }
    }
    unlock(ctx);
  }
  console.log(`deployed ${o.env}${tag !== NO_TAG ? ` (release ${tag})` : ''} in ${Math.round((Date.now() - started) / 1000)}s`);
  return 0;
}

export interface DownOptions {
  readonly env: string;
  readonly volumes?: boolean;
  readonly github?: boolean;
  readonly yes?: boolean;
}

/**
 * Removes an environment's containers and networks, keeping its data volumes (out of the state,
 * left on the host) unless --volumes; GitHub resources stay unless --github. Asks first when it
 * destroys something that cannot be undone (lib/deploy/confirm.ts).
 */
export async function down(where: Where, o: DownOptions): Promise<number> {
  const started = Date.now();
  if (o.volumes) process.env.STACKYARD_DESTROY_DATA = o.env;
  const dir = await synthOne(where, o.env);
  // confirmation first: nothing is touched when it is refused
  const flags = [o.volumes ? '--volumes' : '', o.github ? '--github' : '', o.yes ? '--yes' : ''].filter(Boolean);
  const exclude = confirmDown(dir, flags);
  const engine = resolveEngine(where.root);
  const { stack } = readStack(dir);
  const vars = deploySecrets(where.root, dir, 'placeholder');
  const ctx: RunContext = { env: o.env, dir, stack, engine, vars, firstHost: dockerHosts(stack)[0]?.host, who: whoAmI(), tookLock: false };
  await init(ctx, `tf init failed in ${dir}`);
  lockForRun(ctx, 'destroyed');
  let ok = false;
  try {
    if (!o.volumes) {
      const list = await tf(ctx, ['state', 'list'], { keepStdout: true });
      for (const v of list.stdout.split('\n').filter((l) => l.startsWith('docker_volume.'))) {
        await tf(ctx, ['state', 'rm', '-no-color', v]); // named below, with the volumes earlier downs kept
      }
    }
    if (exclude.length) console.log(`keeping the GitHub environments and secrets of ${o.env} (down --github removes them)`);
    const destroy = () => tfWithProgress(ctx, `down of ${o.env}`, ['destroy', '-auto-approve', '-input=false', '-no-color', ...exclude]);
    let r = await destroy();
    if (r.status !== 0) {
      // Docker can be slow to release a network's last endpoint after its containers went away;
      // the provider gives up after 30 s. What is left is only that network: try once more.
      if (r.tail.some((l) => l.includes("waiting for state to become 'removed'"))) {
        say('a network was still busy; retrying the destroy once');
        await new Promise((res) => setTimeout(res, 5000));
        r = await destroy();
        if (r.status !== 0) {
          process.stderr.write(r.tail.slice(-30).join('\n') + '\n');
          throw new DeployStop(`destroy of ${o.env} failed (above); if a network stays busy with no container on it, restarting dockerd clears Docker's stale endpoint count`);
        }
      } else {
        process.stderr.write(r.tail.slice(-30).join('\n') + '\n');
        throw new DeployStop(`destroy of ${o.env} failed (above)`);
      }
    }
    // plain lines said it already; after the live table, the engine's last word
    if (r.live) console.log(r.summary ?? r.tail.filter((l) => l.trim()).slice(-1)[0] ?? '');
    volumes(dir, o.volumes === true);
    ok = true;
  } finally {
    record(ctx, 'down', NO_TAG, o.volumes ? 'down --volumes' : 'down', ok, started);
    unlock(ctx);
  }
  return 0;
}
