/**
 * The `stackyard` command as a user runs it: the compiled dist/bin/stackyard.js, spawned (no
 * engine, no Docker: these stop before either, or never need them).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram, commands } from '../lib/cli/program';
import { EXIT } from '../lib/cli/exit-codes';
import { MINIMAL, tempDir, writeFiles } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'dist', 'bin', 'stackyard.js');

function stackyard(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, STACKYARD_SKIP_BUILD: '1', ...env }, input: '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking: several at once. */
function spawned(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, STACKYARD_SKIP_BUILD: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const NAMES = ['synth', 'plan', 'deploy', 'down', 'secrets', 'releases', 'audit', 'rollback', 'lock'];

describe('stackyard --help', () => {
  it('lists every command with its arguments, and the exit codes', () => {
    const r = stackyard(['--help']);
    expect(r.status).toBe(0);
    for (const n of NAMES) expect(r.stdout).toMatch(new RegExp(`^  ${n}\\b`, 'm'));
    expect(r.stdout).toContain('Exit codes: 0 done, 1 failure or refusal, 2 usage error');
  });

  it('every registered command has its own --help, exit 0, with its usage and a description', async () => {
    // every command the program has, not a list kept here: a new command without help fails
    const names = buildProgram().commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining([...NAMES, 'status', 'logs', 'exec', 'maintenance', 'hosts', 'graph']));
    const helps = await Promise.all(names.map((n) => spawned([n, '--help'])));
    for (const [i, n] of names.entries()) {
      expect(helps[i].status, n).toBe(0);
      expect(helps[i].stdout, n).toMatch(new RegExp(`^Usage: stackyard ${n} `, 'm'));
      // a sentence under the usage line, and the options section with -h
      expect(helps[i].stdout.split('\n')[2], n).toMatch(/^\S.{10,}/);
      expect(helps[i].stdout, n).toMatch(/^ {2}-h, --help +display help for command$/m);
    }
    expect(helps[names.indexOf('lock')].stdout).toMatch(/Usage: stackyard lock \[options\] <env> <action>/);
    expect(helps[names.indexOf('rollback')].stdout).toMatch(/Usage: stackyard rollback \[options\] <env> \[tag\]/);
  }, 120_000); // fourteen process starts at once: slow only on a loaded machine

  it('the program registers each command module once (lib/cli/program.ts is the one list)', () => {
    expect(commands.length).toBeGreaterThanOrEqual(8);
  });
});

describe('a reader that stops early', () => {
  it('ends the command quietly (`stackyard synth --help | true`: the reader is gone before the help is written): no EPIPE stack trace', async () => {
    const stderr = await new Promise<string>((resolve) => {
      const child = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" synth --help | true`], { cwd: ROOT, env: { ...process.env, STACKYARD_SKIP_BUILD: '1' } });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('close', () => resolve(err));
    });
    expect(stderr).toBe('');
  });
});

describe('usage errors exit 2 with a suggestion, and do nothing', () => {
  it('an unknown command names the closest one', () => {
    const r = stackyard(['deplyo', 'local']);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toContain("error: unknown command 'deplyo'");
    expect(r.stderr).toContain('(Did you mean deploy?)');
    expect(r.stdout).toBe('');
  });

  it('an unknown option names the closest one', () => {
    const r = stackyard(['down', 'local', '--volume']);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toContain("error: unknown option '--volume'");
    expect(r.stderr).toContain('(Did you mean --volumes?)');
  });

  it('a missing argument, an extra one, an unknown lock action, no command at all', () => {
    expect(stackyard(['deploy']).stderr).toContain("missing required argument 'env'");
    expect(stackyard(['deploy']).status).toBe(EXIT.usage);
    expect(stackyard(['audit', 'a', 'b']).status).toBe(EXIT.usage);
    const lock = stackyard(['lock', 'local', 'grab']);
    expect(lock.status).toBe(EXIT.usage);
    expect(lock.stderr).toContain('unknown lock action "grab"; expected acquire, release or status');
    expect(stackyard([]).status).toBe(EXIT.usage);
  });

  it('a bad number for an option is refused before anything runs', () => {
    const r = stackyard(['deploy', 'local', '--keep-releases', 'zero']);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toContain("error: option '--keep-releases <n>' argument 'zero' is invalid. expected a whole number of at least 1, got \"zero\"");
  });
});

describe('exit codes and output shapes', () => {
  it('synth: a bad environment file exits 1 with file:line:col, no stack trace, nothing written', () => {
    const dir = writeFiles({ 'e.yaml': MINIMAL.replace('health: /health', 'health: /health\n    replicas: -2') });
    const out = path.join(tempDir(), 'out');
    const r = stackyard(['synth'], { ENVIRONMENTS_DIR: dir, CDKTF_OUTDIR: out });
    expect(r.status).toBe(EXIT.failure);
    expect(r.stderr).toMatch(/e\.yaml:\d+:\d+ services\.api\.replicas: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('synth of one environment writes only that stack; an unknown name is a failure', () => {
    const dir = writeFiles({ 'a.yaml': MINIMAL.replace('name: test', 'name: alpha'), 'b.yaml': MINIMAL.replace('name: test', 'name: beta') });
    const out = path.join(tempDir(), 'out');
    const r = stackyard(['synth', 'alpha', '--quiet'], { ENVIRONMENTS_DIR: dir, CDKTF_OUTDIR: out });
    expect(r.status).toBe(0);
    expect(fs.readdirSync(path.join(out, 'stacks'))).toEqual(['alpha']);
  });

  it('secrets --json: one object per secret, never a value; exit 1 while one is missing', () => {
    const dir = writeFiles({ 'e.yaml': MINIMAL });
    const r = stackyard(['secrets', 'test', '--json'], { ENVIRONMENTS_DIR: dir, TF_VAR_DB_PASSWORD: 'canary-db-value', TF_VAR_JWT_SECRET: '' });
    expect(r.status).toBe(EXIT.failure);
    const list = JSON.parse(r.stdout) as { name: string; deliveredTo: string[]; github: string; set: boolean }[];
    expect(list.map((s) => [s.name, s.set])).toEqual([['DB_PASSWORD', true], ['JWT_SECRET', false]]);
    expect(Object.keys(list[0]).sort()).toEqual(['deliveredTo', 'github', 'name', 'set']);
    expect(r.stdout + r.stderr).not.toContain('canary-db-value');
    const all = stackyard(['secrets', 'test', '--json'], { ENVIRONMENTS_DIR: dir, TF_VAR_DB_PASSWORD: 'x', TF_VAR_JWT_SECRET: 'y' });
    expect(all.status).toBe(0);
  });

  it('deploy of an environment that does not exist: exit 1 naming it', () => {
    const dir = writeFiles({ 'e.yaml': MINIMAL });
    const r = stackyard(['deploy', 'nosuch'], { ENVIRONMENTS_DIR: dir, CDKTF_OUTDIR: path.join(tempDir(), 'out') });
    expect(r.status).toBe(EXIT.failure);
    expect(r.stderr).toContain(`stackyard: no environment named nosuch in ${dir}/`);
  });

  it('--version prints the package version', () => {
    const r = stackyard(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });
});
