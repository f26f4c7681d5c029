/** Two synths from different working directories are byte-identical; no absolute path or timestamp. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from './helpers';

const root = path.resolve(__dirname, '..');

function synthFrom(cwd: string): Map<string, string> {
  const out = path.join(tempDir(), 'cdktf.out');
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'bin', 'main.js')], {
    cwd,
    env: { ...process.env, ENVIRONMENTS_DIR: path.join(root, 'environments'), CDKTF_OUTDIR: out },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  const files = new Map<string, string>();
  for (const name of fs.readdirSync(path.join(out, 'stacks'))) {
    files.set(name, fs.readFileSync(path.join(out, 'stacks', name, 'cdk.tf.json'), 'utf8'));
  }
  return files;
}

it('synthesis is deterministic and location-independent', () => {
  const a = synthFrom(root);
  const b = synthFrom(tempDir('elsewhere-'));
  expect([...a.keys()].sort()).toEqual(['cluster', 'local', 'production', 'staging']);
  for (const [name, text] of a) {
    expect(b.get(name), `${name} differs between runs`).toBe(text);
    expect(text).not.toContain(root);
    expect(text).not.toMatch(/"\/(tmp|work|home|root|Users)\//);
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  }
});
