import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { k8sGate, SKIP_MESSAGE } from '../scripts/test-k8s-gate';

const ROOT = path.resolve(__dirname, '..');

describe('test:all runs test:k8s unless STACKYARD_SKIP_K8S=1', () => {
  it('runs it when the variable is unset, empty or 0', () => {
    expect(k8sGate({})).toEqual({ run: true });
    expect(k8sGate({ STACKYARD_SKIP_K8S: '' })).toEqual({ run: true });
    expect(k8sGate({ STACKYARD_SKIP_K8S: '0' })).toEqual({ run: true });
  });

  it('skips it on 1, saying so and why', () => {
    expect(k8sGate({ STACKYARD_SKIP_K8S: '1' })).toEqual({ run: false, message: SKIP_MESSAGE });
    expect(SKIP_MESSAGE).toMatch(/^test:k8s skipped: STACKYARD_SKIP_K8S=1 .*cold CI budget.*README/);
  });

  it('refuses any other value rather than guessing', () => {
    expect(k8sGate({ STACKYARD_SKIP_K8S: 'yes' })).toEqual({ error: expect.stringContaining('not "yes"') });
    expect(k8sGate({ STACKYARD_SKIP_K8S: 'true' })).toHaveProperty('error');
  });

  it('the built script prints the skip line and exits 0 without starting a node, or exits 1 on a bad value', () => {
    const script = path.join(ROOT, 'dist', 'scripts', 'test-k8s-gate.js');
    const skipped = spawnSync('node', [script], { env: { ...process.env, STACKYARD_SKIP_K8S: '1' }, encoding: 'utf8' });
    expect(skipped.status).toBe(0);
    expect(skipped.stdout.trim()).toBe(SKIP_MESSAGE);
    const bad = spawnSync('node', [script], { env: { ...process.env, STACKYARD_SKIP_K8S: 'yes' }, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^test:all: STACKYARD_SKIP_K8S must be 1/);
  });

  it('is the last step of test:all, and .ci/run sets the skip', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts['test:all']).toMatch(/&& node dist\/scripts\/test-k8s-gate\.js$/);
    const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    // skipped unless the caller asks for it (STACKYARD_SKIP_K8S=0 .ci/run)
    expect(ci).toMatch(/^export STACKYARD_SKIP_K8S=\$\{STACKYARD_SKIP_K8S:-1\}$/m);
  });
});
