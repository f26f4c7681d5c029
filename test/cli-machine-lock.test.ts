/**
 * The machine lock of deploy, rollback and down (lib/cli/flock.ts) and the commands' shared
 * helpers (lib/cli/where.ts, lib/cli/paths.ts), in process: the command runs itself again under
 * flock and returns that run's exit code; a held lock fails at once with EXIT.locked, or after
 * STACKYARD_LOCK_TIMEOUT seconds. (test/deploy-safety.test.ts proves the same through the CLI.)
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../lib/cli/exit-codes';
import { underMachineLock } from '../lib/cli/flock';
import { environmentsDir, outDir, projectRoot, stackDir } from '../lib/cli/paths';
import { positiveInt, where } from '../lib/cli/where';
import { flockHeld } from './flock-held';
import { tempDir } from './helpers';

const saved = { argv: process.argv, env: { ...process.env } };
afterEach(() => {
  process.argv = saved.argv;
  for (const k of ['STACKYARD_LOCKED', 'STACKYARD_LOCK_TIMEOUT', 'ENVIRONMENTS_DIR', 'CDKTF_OUTDIR']) {
    if (saved.env[k] === undefined) delete process.env[k];
    else process.env[k] = saved.env[k];
  }
});

/** A stand-in for the command: records the lock variable it was run with, exits with `code`. */
function command(code: number): { script: string; seen: string } {
  const dir = tempDir();
  const seen = path.join(dir, 'seen');
  const script = path.join(dir, 'cmd.js');
  fs.writeFileSync(script, `require('fs').writeFileSync(${JSON.stringify(seen)}, String(process.env.STACKYARD_LOCKED) + ' ' + process.argv.slice(2).join(' ')); process.exit(${code});\n`);
  return { script, seen };
}

describe('the machine lock', () => {
  it('a run already under the lock goes on without locking again', () => {
    process.env.STACKYARD_LOCKED = 'staging';
    expect(underMachineLock(tempDir(), 'staging')).toBeUndefined();
  });

  it('a free lock: the command runs again under it, with its arguments and STACKYARD_LOCKED, and its exit code is returned', () => {
    const root = tempDir();
    const { script, seen } = command(7);
    process.argv = [process.execPath, script, 'deploy', 'staging'];
    delete process.env.STACKYARD_LOCKED;
    expect(underMachineLock(root, 'staging')).toBe(7);
    expect(fs.readFileSync(seen, 'utf8')).toBe('staging deploy staging');
    expect(fs.existsSync(path.join(root, '.stackyard', 'locks', 'staging.lock'))).toBe(true);
    expect(flockHeld(path.join(root, '.stackyard', 'locks', 'staging.lock'))).toBe(false); // released with the run
  });

  it('a held lock fails at once with EXIT.locked and says what to do; the command never ran', async () => {
    const root = tempDir();
    const lock = path.join(root, '.stackyard', 'locks', 'prod.lock');
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    const holder = spawn('flock', ['-o', lock, 'sleep', '30'], { stdio: 'ignore' });
    try {
      const t0 = Date.now();
      while (!flockHeld(lock) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
      const { script, seen } = command(0);
      process.argv = [process.execPath, script, 'down', 'prod'];
      delete process.env.STACKYARD_LOCKED;
      let caught: unknown;
      try {
        underMachineLock(root, 'prod');
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CliError);
      expect((caught as CliError).exitCode).toBe(EXIT.locked);
      expect((caught as CliError).message).toBe('another deploy or down of prod is running on this machine (lock .stackyard/locks/prod.lock is held); nothing was done. Wait for it to finish, or set STACKYARD_LOCK_TIMEOUT=<seconds> to wait for it');
      expect(fs.existsSync(seen)).toBe(false);
      // with a timeout it waits that long, then gives up the same way
      process.env.STACKYARD_LOCK_TIMEOUT = '1';
      const t1 = Date.now();
      expect(() => underMachineLock(root, 'prod')).toThrow(/is running on this machine/);
      expect(Date.now() - t1).toBeGreaterThanOrEqual(900);
      expect(fs.existsSync(seen)).toBe(false);
    } finally {
      holder.kill();
      await new Promise((r) => holder.on('close', r));
    }
  });
  it('no flock on this machine: a plain error naming it, not a stack trace', () => {
    const { script } = command(0);
    process.argv = [process.execPath, script, 'deploy', 'staging'];
    delete process.env.STACKYARD_LOCKED;
    const PATH = process.env.PATH;
    process.env.PATH = tempDir();
    try {
      expect(() => underMachineLock(tempDir(), 'staging')).toThrow(new CliError('flock: spawnSync flock ENOENT'));
    } finally {
      process.env.PATH = PATH;
    }
  });
});

describe('where the commands find things', () => {
  it('the working directory, ENVIRONMENTS_DIR (default environments) and CDKTF_OUTDIR (default cdktf.out)', () => {
    delete process.env.ENVIRONMENTS_DIR;
    delete process.env.CDKTF_OUTDIR;
    expect([projectRoot(), environmentsDir(), outDir()]).toEqual([process.cwd(), 'environments', 'cdktf.out']);
    expect(stackDir('prod')).toBe(path.resolve(process.cwd(), 'cdktf.out', 'stacks', 'prod'));
    process.env.ENVIRONMENTS_DIR = '/x/envs';
    process.env.CDKTF_OUTDIR = 'out';
    expect(where()).toEqual({ root: process.cwd(), environmentsDir: '/x/envs', outDir: 'out' });
    expect(stackDir('prod')).toBe(path.resolve(process.cwd(), 'out', 'stacks', 'prod'));
  });

  it('a whole number of at least 1, or a usage error naming what was given', () => {
    expect(positiveInt('1')).toBe(1);
    expect(positiveInt('25')).toBe(25);
    for (const bad of ['0', '-1', '1.5', 'x', '']) expect(() => positiveInt(bad), bad).toThrow(`expected a whole number of at least 1, got ${JSON.stringify(bad)}`);
  });
});
