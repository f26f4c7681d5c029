/**
 * scripts/engine.sh's cached fast path, which every deploy and down runs (lib/deploy/engine.ts). It must
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

  it('rewrites a CLI configuration that still names a shared plugin cache, from the cache', () => {
    const { tools, bin } = cachedTools();
    const real = fs.realpathSync(tools);
    fs.writeFileSync(path.join(tools, 'tofurc'), `provider_installation {\n  filesystem_mirror {\n    path    = "${real}/providers"\n  }\n}\nplugin_cache_dir = "${real}/plugin-cache"\n`);
    const r = spawnSync('bash', ['scripts/engine.sh'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, STACKYARD_TOOLS: tools, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const rc = fs.readFileSync(path.join(tools, 'tofurc'), 'utf8');
    expect(rc).toContain(`path    = "${real}/providers"`);
    expect(rc).not.toContain('plugin_cache_dir');
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
    // no shared plugin cache: stacks initialised in parallel broke each other's provider links
    expect(rc).not.toContain('plugin_cache_dir');
    expect(rc).not.toContain('/gone/elsewhere');
    expect(fs.readdirSync(tools).filter((f) => f.startsWith('tofurc.'))).toEqual([]);
  });
});

describe('scripts/lib/gobuild.sh building a Go program', () => {
  /** A fake `go`: every command prints Go's download chatter; `go build` fails when FAKE_GO_FAIL is set. */
  function fakeGo(): { tools: string; bin: string } {
    const tools = tempDir('stackyard-gobuild-');
    const bin = path.join(tools, 'fake-go');
    fs.mkdirSync(bin);
    const upstream = path.join(tools, 'upstream.go.mod');
    fs.writeFileSync(upstream, 'module example.com/tool\n\ngo 1.22\n');
    fs.writeFileSync(path.join(bin, 'go'), [
      '#!/bin/bash',
      'for i in $(seq 1 400); do echo "go: downloading example.com/dep$i v1.0.$i" >&2; done',
      `if [ "$1 $2 $3" = "mod download -json" ]; then printf '{\\n\\t"GoMod": "${upstream}",\\n\\t"Dir": "${tools}"\\n}\\n'; exit 0; fi`,
      'if [ "$1 $2" = "mod edit" ]; then echo "require ${3#-require=}" | sed "s/@/ /" >> go.mod; exit 0; fi',
      'if [ "$1" = build ]; then',
      '  if [ -n "${FAKE_GO_FAIL:-}" ]; then echo "./main.go:3:1: syntax error: the real reason" >&2; exit 1; fi',
      '  while [ "$1" != -o ]; do shift; done; : > "$2"; exit 0',
      'fi',
      'exit 0',
      '',
    ].join('\n'), { mode: 0o755 });
    return { tools, bin };
  }
  const build = (tools: string, bin: string, extra: NodeJS.ProcessEnv = {}) => spawnSync('bash', ['-c', [
    'set -euo pipefail',
    'fail() { printf "\\nengine: %s\\n" "$*" >&2; exit 1; }',
    `. ${path.join(ROOT, 'scripts', 'lib', 'gobuild.sh')}`,
    'build tool example.com/tool v1.0.0 example.com/tool/cmd/tool "$tools/bin-tool"',
  ].join('\n')], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, tools, PATH: `${bin}:${process.env.PATH}`, ...extra } });

  it('keeps the `go: downloading` lines in a log file, off the terminal', () => {
    const { tools, bin } = fakeGo();
    const r = build(tools, bin);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(fs.existsSync(path.join(tools, 'bin-tool'))).toBe(true);
    expect(r.stdout + r.stderr).not.toContain('go: downloading');
    expect(r.stdout).toBe(`    building tool with Go (its output: ${tools}/build/tool.log)\n`);
    expect(fs.readFileSync(path.join(tools, 'build', 'tool.log'), 'utf8').split('\n').filter((l) => l.startsWith('go: downloading')).length).toBe(1200); // mod edit, mod download, build
  });

  it('on a failure shows the log\'s last lines (the real reason) and where the whole log is', () => {
    const { tools, bin } = fakeGo();
    const r = build(tools, bin, { FAKE_GO_FAIL: '1' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('      ./main.go:3:1: syntax error: the real reason');
    expect(r.stderr).toContain(`engine: building tool failed (whole log: ${tools}/build/tool.log)`);
    expect(r.stderr.split('\n').filter((l) => l.includes('go: downloading')).length).toBeLessThanOrEqual(25);
  });
});
