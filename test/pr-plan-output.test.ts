/**
 * `pr-plan plan` keeps the text of `tofu plan` out of the public job log: tofu's output is captured
 * and dropped; when tofu fails, only the tail of its errors is printed, with every secret value of
 * the run (the state passphrase, the plan credentials) masked. A fake `tofu` on PATH prints them.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINIMAL, tempDir } from './helpers';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'scripts', 'pr-plan.js');
const PASSPHRASE = 'fixture-state-passphrase-9f3k';
const TOKEN = 'fixture-plan-token-7d2q';

const FAKE_TOFU = `#!/bin/sh
case "$1" in
  init) echo "Initializing with $TF_VAR_STATE_PASSPHRASE"; exit 0 ;;
  plan)
    echo "  + resource \\"docker_container\\" { env = [\\"DB=$TF_VAR_STATE_PASSPHRASE\\"] }"
    if [ -n "$FAKE_TOFU_FAIL" ]; then
      i=0; while [ $i -lt 50 ]; do echo "noise line $i" >&2; i=$((i+1)); done
      echo "Error: cannot decrypt with $TF_VAR_STATE_PASSPHRASE using $GITHUB_TOKEN" >&2
      exit 1
    fi
    exit 0 ;;
  show) echo '{"format_version":"1.2","resource_changes":[]}' ;;
esac
`;

function run(fail: boolean) {
  const d = tempDir();
  fs.mkdirSync(path.join(d, 'pr', 'files', 'environments'), { recursive: true });
  fs.writeFileSync(path.join(d, 'pr', 'files', 'environments', 'test.yaml'), MINIMAL);
  fs.mkdirSync(path.join(d, 'bin'));
  fs.writeFileSync(path.join(d, 'bin', 'tofu'), FAKE_TOFU, { mode: 0o755 });
  const env = { ...process.env, PATH: `${path.join(d, 'bin')}:${process.env.PATH}`, STACKYARD_PLAN_STATE_PASSPHRASE: PASSPHRASE, GITHUB_TOKEN: TOKEN, ...(fail ? { FAKE_TOFU_FAIL: '1' } : {}) };
  const r = spawnSync(process.execPath, [cli, 'plan', 'test', '--pr', path.join(d, 'pr'), '--json', path.join(d, 'plan.json')], { cwd: d, encoding: 'utf8', env, timeout: 60_000 });
  return { ...r, out: r.stdout + r.stderr, json: path.join(d, 'plan.json') };
}

describe('pr-plan plan keeps tofu\'s text out of the job log', () => {
  it('a plan that succeeds prints only the summary lines, none of tofu\'s output', () => {
    const r = run(false);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.existsSync(r.json)).toBe(true);
    expect(r.out).not.toContain(PASSPHRASE);
    expect(r.out).not.toMatch(/Initializing|resource "docker_container"/);
  });

  it('a plan that fails: the tail of tofu\'s errors, secrets masked, exit 1, no stack trace', () => {
    const r = run(true);
    expect(r.status).toBe(1);
    expect(r.out).not.toContain(PASSPHRASE);
    expect(r.out).not.toContain(TOKEN);
    expect(r.stderr).toContain('Error: cannot decrypt with *** using ***');
    expect(r.stderr).not.toContain('noise line 0\n');
    expect(r.stderr).toMatch(/tofu plan failed \(exit 1\)/);
    expect(r.out).not.toMatch(/resource "docker_container"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
