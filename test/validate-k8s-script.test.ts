/**
 * scripts/validate-k8s.sh finds the folder of each Kubernetes environment's file with grep. Under
 * `set -o pipefail`, `grep -l ... | head -1` failed whenever head exited before grep wrote its
 * second file name (grep dies of SIGPIPE, 141): here a grep that writes its second name late.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const script = fs.readFileSync(path.join(ROOT, 'scripts', 'validate-k8s.sh'), 'utf8');
const envDir = /^env_dir\(\) \{.*\}$/m.exec(script)?.[0];

function runEnvDir(grep: string): ReturnType<typeof spawnSync> {
  const bin = tempDir('stackyard-validate-k8s-');
  fs.writeFileSync(path.join(bin, 'grep'), grep, { mode: 0o755 });
  return spawnSync('bash', ['-c', `set -euo pipefail\n${envDir}\nenv_dir shop; echo "exit $?"`], {
    cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
}

describe('scripts/validate-k8s.sh env_dir', () => {
  it('is one line of the script', () => expect(envDir).toBeDefined());

  it('answers with the first file\'s folder even when grep writes its second name after a while', () => {
    const r = runEnvDir('#!/bin/sh\necho examples/shop/k8s.yaml\nsleep 0.3\necho examples/other/k8s.yaml\n');
    expect(r.stdout).toBe('examples/shop\nexit 0\n');
    expect(r.status).toBe(0);
  });

  it('fails when no file names the environment', () => {
    const r = runEnvDir('#!/bin/sh\nexit 1\n');
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
  });
});
