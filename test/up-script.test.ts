/**
 * scripts/up.sh (`npm run up`) only sequences: Docker engine, OpenTofu engine, images, deploy.
 * Run here against stand-ins for those four scripts (a copy of up.sh in a folder of fakes): the
 * build steps' lines with their durations reach the user, the hints meant for running a build
 * script alone do not, and a failing step stops the run with its message (the filter that drops
 * the hints once swallowed the failure: `... | grep ... || true`).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers';

const ROOT = path.resolve(__dirname, '..');

function upWith(fakes: Record<string, string>) {
  const root = tempDir('stackyard-up-');
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.copyFileSync(path.join(ROOT, 'scripts', 'up.sh'), path.join(root, 'scripts', 'up.sh'));
  const scripts: Record<string, string> = { 'engine-docker.sh': 'echo "docker engine: already answering"', 'images.sh': 'echo "==> image x:1"; echo "    done in 2s"', 'stackyard.sh': 'echo "deploy $*"', ...fakes };
  for (const [name, text] of Object.entries(scripts)) fs.writeFileSync(path.join(root, 'scripts', name), `${text}\n`);
  const r = spawnSync('bash', [path.join(root, 'scripts', 'up.sh')], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const engineOk = 'echo "==> OpenTofu v1"; echo "    building tofu with Go (its output: /x/tofu.log)"; echo "    done in 41s"; echo; echo "Engine ready. Use it with:"; echo "  export PATH=/x:$PATH"';

describe('npm run up (scripts/up.sh)', () => {
  it('shows each build step with its duration, without the hints for running a build script alone, then deploys local', () => {
    const r = upWith({ 'engine.sh': engineOk });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('==> OpenTofu v1\n    building tofu with Go (its output: /x/tofu.log)\n    done in 41s\n');
    expect(r.stdout).toContain('==> image x:1\n    done in 2s\n');
    expect(r.stdout).not.toContain('export PATH');
    expect(r.stdout).toContain('deploy deploy local --generate-secrets');
  });

  it('stops at a failed build step with its message; nothing is deployed', () => {
    const r = upWith({ 'engine.sh': 'echo "==> OpenTofu v1"; echo "engine: building tofu failed (whole log: /x/tofu.log)" >&2; exit 1' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('engine: building tofu failed');
    expect(r.stdout).not.toContain('deploy');
  });

  it('a build script with nothing to show is no failure', () => {
    const r = upWith({ 'engine.sh': 'echo "  export PATH=/x:$PATH"' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('deploy deploy local');
  });
});
