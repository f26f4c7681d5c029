/**
 * The deploy lock of an environment, kept on its first host so every deploy machine sees it (the
 * flock in .stackyard/locks only covers one machine). It is a created, never started container
 * `stackyard-lock-<env>` whose labels say who holds it, since when and why: Docker refuses a
 * second container of the same name, which makes taking it atomic. `stackyard lock acquire`
 * takes it for a person (until `lock release`); every deploy, rollback and down takes it for its
 * own run when nobody holds it, and refuses when someone else does. These functions decide; the
 * Docker calls are lib/deploy/host-store.ts.
 */
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
  };
}

export function parseLockLabels(labels: Readonly<Record<string, string>> | null | undefined): LockInfo | undefined {
  if (!labels || labels[`${P}holder`] === undefined) return undefined;
  return {
    environment: labels[`${P}environment`] ?? '',
    holder: labels[`${P}holder`] ?? '?',
    since: labels[`${P}since`] ?? '',
    message: labels[`${P}message`] ?? '',
    run: labels[`${P}run`] === 'true',
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
  | { readonly kind: 'refuse'; readonly message: string };

/** Whether a deploy/down run by `me` may go on, given the lock on the first host. */
export function decideRunLock(environment: string, existing: LockInfo | undefined, me: string, what: string, now: Date): RunLockDecision {
  if (!existing) return { kind: 'take' };
  if (existing.holder === me && !existing.run) return { kind: 'mine' };
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
