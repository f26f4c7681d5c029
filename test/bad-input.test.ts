import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BAD_CASES } from './bad-input.cases';
import { errors, MINIMAL, writeFiles } from './helpers';

describe('every invalid environment file gets positioned, actionable errors', () => {
  it.each(BAD_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(errors(c.files, c.main)).toEqual(c.expected);
  });

  it('covers at least 25 distinct mistakes', () => {
    expect(BAD_CASES.length).toBeGreaterThanOrEqual(25);
  });
});

describe('the CLI on bad input', () => {
  const main = path.resolve(__dirname, '..', 'dist', 'bin', 'main.js');

  it('exits 1, prints file:line:col path: message without a stack trace, and writes nothing', () => {
    const dir = writeFiles({
      'good.yaml': MINIMAL,
      'bad.yaml': MINIMAL.replace('name: test', 'name: other').replace('replicas', 'x').replace('    port: 8000', '    port: 8000\n    replica: 3'),
    });
    const out = path.join(dir, 'out');
    const r = spawnSync(process.execPath, [main], { cwd: dir, env: { ...process.env, ENVIRONMENTS_DIR: '.', CDKTF_OUTDIR: out }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('bad.yaml:13:5 services.api.replica: unknown key; did you mean `replicas`?');
    expect(r.stderr).toContain('nothing was synthesized');
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack frames
    // the valid file is not synthesized either: no partial output that looks valid
    expect(fs.existsSync(out)).toBe(false);
  });

  it('succeeds and prints the summary table on valid input', () => {
    const dir = writeFiles({ 'env.yaml': MINIMAL, '_base.yaml': 'partial: true\nsecrets: [X]\n' });
    const out = path.join(dir, 'out');
    const r = spawnSync(process.execPath, [main], { cwd: dir, env: { ...process.env, ENVIRONMENTS_DIR: '.', CDKTF_OUTDIR: out }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^test +main +3 services \/ 4 containers +api×2 db proxy$/m);
    // the partial file never becomes a stack
    expect(fs.readdirSync(path.join(out, 'stacks'))).toEqual(['test']);
  });
});
