/**
 * scripts/engine.sh's cached fast path, which every deploy and down runs (use_engine). It must
 * answer from the cache whatever the timing of `tofu version`'s output: under load a version check
 * written as `tofu version | grep -qx ...` with pipefail failed whenever grep exited on the first
 * line before tofu wrote its second (SIGPIPE, 141), and the deploy then went down the network
 * build path and failed with "engine installation failed".
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const script = fs.readFileSync(path.join(ROOT, 'scripts', 'engine.sh'), 'utf8');
const pin = (name: string) => {
  const m = new RegExp(`^${name}=(\\S+)`, 'm').exec(script);
  if (!m) throw new Error(`no ${name}= in scripts/engine.sh`);
  return m[1];
};

/** A tools folder holding everything the fast path looks for, with a fake tofu whose second line comes late. */
function cachedTools(): { tools: string; bin: string } {
  const tools = tempDir('stackyard-engine-');
  const tofu = pin('TOFU_VERSION');
  const gh = pin('GITHUB_VERSION').replace(/^v/, '');
  const exe = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o755 });
  };
  exe(path.join(tools, 'providers/registry.opentofu.org/kreuzwerker/docker/4.6.0/linux_amd64/terraform-provider-docker_v4.6.0'), '#!/bin/sh\n');
  exe(path.join(tools, `providers/registry.opentofu.org/integrations/github/${gh}/linux_amd64/terraform-provider-github_v${gh}`), '#!/bin/sh\n');
  fs.writeFileSync(path.join(tools, 'docker-provider.version'), '4.6.0\n');
  fs.writeFileSync(path.join(tools, 'tofurc'), '');
  fs.writeFileSync(path.join(tools, 'engine.pins'), `${tofu} ${pin('DOCKER_PSEUDO')} ${pin('GITHUB_VERSION')}\n`);
  // the real tofu writes its version lines one write each; here the second one comes 300 ms later
  exe(path.join(tools, 'bin/tofu'), `#!/bin/sh\necho "OpenTofu ${tofu}"\nsleep 0.3\necho "on linux_amd64"\n`);
  // the build path must not be taken: a go that fails says so
  const bin = path.join(tools, 'fake-go');
  exe(path.join(bin, 'go'), '#!/bin/sh\necho "go called: the fast path was missed" >&2\nexit 1\n');
  return { tools, bin };
}

describe('scripts/engine.sh with everything cached', () => {
  it('answers from the cache even when grep would have matched before tofu finished writing', () => {
    const { tools, bin } = cachedTools();
    for (let i = 0; i < 2; i++) {
      const r = spawnSync('bash', ['scripts/engine.sh'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, STACKYARD_TOOLS: tools, PATH: `${bin}:${process.env.PATH}` },
      });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`Engine ready (cached in ${tools})`);
    }
  });

  it('a cached tofu of another version is not taken for the pinned one', () => {
    const { tools, bin } = cachedTools();
    fs.writeFileSync(path.join(tools, 'bin/tofu'), '#!/bin/sh\necho "OpenTofu v1.0.0"\necho "on linux_amd64"\n', { mode: 0o755 });
    const r = spawnSync('bash', ['scripts/engine.sh'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, STACKYARD_TOOLS: tools, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(r.stdout).not.toContain('Engine ready (cached');
    expect(r.status).not.toBe(0); // it went on to build, and the fake go refused
  });

  it('rewrites a CLI configuration that names another tools folder (moved checkout, folder shared through a symlink), from the cache', () => {
    const { tools, bin } = cachedTools();
    const link = path.join(tempDir('stackyard-engine-link-'), '.tools');
    fs.symlinkSync(tools, link);
    // what another checkout sharing this folder left: its own path, which no longer exists
    fs.writeFileSync(path.join(tools, 'tofurc'), 'provider_installation {\n  filesystem_mirror {\n    path    = "/gone/elsewhere/.tools/providers"\n  }\n}\n');
    const r = spawnSync('bash', ['scripts/engine.sh'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, STACKYARD_TOOLS: link, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Engine ready (cached');
    const rc = fs.readFileSync(path.join(tools, 'tofurc'), 'utf8');
    const real = fs.realpathSync(tools);
    expect(rc).toContain(`path    = "${real}/providers"`);
    expect(rc).toContain(`plugin_cache_dir = "${real}/plugin-cache"`);
    expect(rc).not.toContain('/gone/elsewhere');
    expect(fs.readdirSync(tools).filter((f) => f.startsWith('tofurc.'))).toEqual([]);
  });
});
