/**
 * One deploy, rollback or down of an environment at a time on this machine: the command runs
 * itself again under `flock` on .stackyard/locks/<env>.lock (the kernel releases it when the run
 * ends, however it ends). A second one fails at once (STACKYARD_LOCK_TIMEOUT=<seconds> waits).
 * The deploy lock on the environment's first host (lib/deploy/deploy-lock.ts) covers other machines.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, EXIT } from './exit-codes';

const BUSY = 111;

/** Undefined when this process holds the lock already (go on); else the exit code of the locked run. */
export function underMachineLock(root: string, env: string): number | undefined {
  if (process.env.STACKYARD_LOCKED === env) return undefined;
  const dir = path.join(root, '.stackyard', 'locks');
  fs.mkdirSync(dir, { recursive: true });
  const wait = process.env.STACKYARD_LOCK_TIMEOUT ?? '0';
  const how = wait !== '0' ? ['-w', wait] : ['-n'];
  const r = spawnSync('flock', [...how, '-o', '-E', String(BUSY), path.join(dir, `${env}.lock`), process.execPath, process.argv[1], ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, STACKYARD_LOCKED: env },
  });
  if (r.error) throw new CliError(`flock: ${r.error.message}`);
  if (r.status === BUSY) {
    throw new CliError(`another deploy or down of ${env} is running on this machine (lock .stackyard/locks/${env}.lock is held); nothing was done. Wait for it to finish, or set STACKYARD_LOCK_TIMEOUT=<seconds> to wait for it`, EXIT.locked);
  }
  return r.status ?? EXIT.failure;
}
