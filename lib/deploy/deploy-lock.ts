/**
 * The deploy lock of an environment, kept on its first host so every deploy machine sees it (the
 * flock in .stackyard/locks only covers one machine). It is a created, never started container
 * `stackyard-lock-<env>` whose labels say who holds it, since when and why: Docker refuses a
 * second container of the same name, which makes taking it atomic. `stackyard lock acquire`
 * takes it for a person (until `lock release`); every deploy, rollback and down takes it for its
 * own run when nobody holds it, and refuses when someone else does. A run's lock also names the
 * process that took it (machine, boot, pid): a later run on the same machine and boot finds it
 * stale when that process is gone (killed, crashed) and takes it over, saying so; a lock from
 * another machine is never judged, only released by hand (`lock release --force`), as Kamal and
 * Terraform do. These functions decide; the Docker calls are lib/deploy/host-store.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface LockInfo {
  readonly environment: string;
  /** `user@machine` (or $STACKYARD_WHO). */
  readonly holder: string;
  /** ISO time it was taken. */
  readonly since: string;
  readonly message: string;
  /** Taken by a deploy/down run for its own duration (released by it), not by `lock acquire`. */
  readonly run: boolean;
  /** The process that took a run's lock: where it ran and its pid (absent on `lock acquire`). */
  readonly process?: LockProcess;
}

export interface LockProcess {
  /** hostname of the machine. */
  readonly machine: string;
  /**
   * The kernel's boot id (/proc/sys/kernel/random/boot_id) and the pid namespace
   * (`<boot id>.<namespace inode>`): containers on one kernel share the boot id but not their pids,
   * and two of them may have the same hostname. '' where there is none.
   */
  readonly boot: string;
  readonly pid: number;
}

/** This process, as a lock names it. */
export function thisProcess(): LockProcess {
  let boot = '';
  try {
    const ns = /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/pid'))?.[1];
    boot = ns ? `${fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}.${ns}` : '';
  } catch {
    // not Linux: no stale lock is ever judged
  }
  return { machine: os.hostname(), boot, pid: process.pid };
}

/**
 * Whether a pid runs on this machine (a process of another user counts as running). A zombie does
 * not: a killed deploy whose parents were killed with it waits, dead, for init to reap it, which
 * can take seconds; signal 0 still reaches it.
 */
export function pidAlive(pid: number, readStat: (pid: number) => string = (p) => fs.readFileSync(`/proc/${p}/stat`, 'utf8')): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  let stat: string;
  try {
    stat = readStat(pid);
  } catch {
    return true; // no /proc (not Linux): signal 0 is all we know
  }
  // `pid (comm) S ...`: the state follows the last `)` (comm may hold spaces and parentheses)
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

const P = 'stackyard.lock.';
const clean = (s: string, max: number) => s.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, max);

/** Who is deploying: $STACKYARD_WHO, else the GitHub actor in Actions, else user@hostname. */
export function whoAmI(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STACKYARD_WHO?.trim()) return clean(env.STACKYARD_WHO, 200);
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_ACTOR) return clean(`${env.GITHUB_ACTOR} (GitHub Actions ${env.GITHUB_REPOSITORY ?? ''} run ${env.GITHUB_RUN_ID ?? '?'})`, 200);
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry
  }
  return clean(`${user}@${os.hostname()}`, 200);
}

export function lockLabels(info: LockInfo): Record<string, string> {
  return {
    [`${P}environment`]: info.environment,
    [`${P}holder`]: clean(info.holder, 200),
    [`${P}since`]: info.since,
    [`${P}message`]: clean(info.message, 500),
    [`${P}run`]: info.run ? 'true' : 'false',
    ...(info.process ? { [`${P}process`]: `${clean(info.process.machine, 200)} ${info.process.boot || '-'} ${info.process.pid}` } : {}),
  };
}

function parseProcess(v: string | undefined): LockProcess | undefined {
  const m = /^(\S+) (\S+) ([1-9][0-9]{0,9})$/.exec(v ?? '');
  return m ? { machine: m[1], boot: m[2] === '-' ? '' : m[2], pid: Number(m[3]) } : undefined;
}

export function parseLockLabels(labels: Readonly<Record<string, string>> | null | undefined): LockInfo | undefined {
  if (!labels || labels[`${P}holder`] === undefined) return undefined;
  return {
    environment: labels[`${P}environment`] ?? '',
    holder: labels[`${P}holder`] ?? '?',
    since: labels[`${P}since`] ?? '',
    message: labels[`${P}message`] ?? '',
    run: labels[`${P}run`] === 'true',
    ...(parseProcess(labels[`${P}process`]) ? { process: parseProcess(labels[`${P}process`]) } : {}),
  };
}

function ago(since: string, now: Date): string {
  const t = Date.parse(since);
  if (Number.isNaN(t)) return 'an unknown time';
  const min = Math.max(0, Math.round((now.getTime() - t) / 60000));
  return min < 120 ? `${min} min ago` : `${Math.round(min / 60)} h ago`;
}

/** `held by alice@laptop since 2025-01-01T10:00:00Z (12 min ago): migrating the database`. */
export function describeLock(info: LockInfo, now: Date): string {
  const what = info.message || (info.run ? 'a deploy in progress' : 'no reason given');
  return `held by ${info.holder} since ${info.since} (${ago(info.since, now)}): ${what}`;
}

export type RunLockDecision =
  /** Nobody holds it: take it for this run, release it at the end. */
  | { readonly kind: 'take' }
  /** I hold it (from `lock acquire`): go on, leave it held. */
  | { readonly kind: 'mine' }
  /** A run on this machine took it and is gone: remove it, say so, take it. */
  | { readonly kind: 'stale'; readonly message: string }
  | { readonly kind: 'refuse'; readonly message: string };

/** Where this run is, to judge a run lock taken on the same machine. */
export interface Here {
  readonly process: LockProcess;
  readonly alive: (pid: number) => boolean;
}

/** Whether a deploy/down run by `me` may go on, given the lock on the first host. */
export function decideRunLock(environment: string, existing: LockInfo | undefined, me: string, what: string, now: Date, here?: Here): RunLockDecision {
  if (!existing) return { kind: 'take' };
  if (existing.holder === me && !existing.run) return { kind: 'mine' };
  const p = existing.process;
  // the same machine and boot (a pid means nothing elsewhere, and the same hostname alone is no proof)
  if (existing.run && p && here && p.boot !== '' && p.machine === here.process.machine && p.boot === here.process.boot && p.pid !== here.process.pid && !here.alive(p.pid)) {
    return { kind: 'stale', message: `took over the deploy lock of ${environment} ${describeLock(existing, now)}: its run (pid ${p.pid} on this machine) ended without releasing it` };
  }
  return {
    kind: 'refuse',
    message: `${environment} is locked, ${describeLock(existing, now)}; nothing was ${what}.\n  Wait for it, or ask ${existing.holder}; \`stackyard lock ${environment} release --force\` breaks a lock left by a crashed run.`,
  };
}

export type ReleaseDecision = { readonly kind: 'release' } | { readonly kind: 'none' } | { readonly kind: 'refuse'; readonly message: string };

/** `lock release`: only the holder releases, or anyone with --force. */
export function decideRelease(environment: string, existing: LockInfo | undefined, me: string, force: boolean, now: Date): ReleaseDecision {
  if (!existing) return { kind: 'none' };
  if (existing.holder === me || force) return { kind: 'release' };
  return { kind: 'refuse', message: `the lock of ${environment} is ${describeLock(existing, now)}; only ${existing.holder} releases it (or --force)` };
}
