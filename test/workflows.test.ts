/**
 * The generated workflows, parsed as YAML and checked for what the security model promises:
 * the job that runs pull-request code holds no secret and no environment; every job that holds
 * credentials runs only the default branch's code and reads pull-request content as data;
 * secrets reach exactly the steps that need them; no `${{ }}` inside a shell script.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { environmentFiles, loadEnvironments } from '../lib/environments';
import { planKeySecret } from '../lib/github/plan-identity';
import { ACTION_PINS, PLAN_SECRETS } from '../scripts/workflows';
import { STATE_PASSPHRASE_VARIABLE } from '../lib/deploy/encryption';
import { releaseTag } from '../scripts/release-tag';
import { errors, MINIMAL, shared } from './helpers';

const root = path.resolve(__dirname, '..');
const dir = path.join(root, '.github', 'workflows');
const read = (name: string) => parse(fs.readFileSync(path.join(dir, name), 'utf8'));
const all = fs.readdirSync(dir).filter((f) => f.endsWith('.yml'));
const stacks = shared(() => loadEnvironments(path.join(root, 'environments'))); // when first read, not while the file is collected
const text = (x: unknown) => JSON.stringify(x);
type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; 'working-directory'?: string };
type Job = { steps: Step[]; env?: Record<string, string>; environment?: unknown; permissions?: unknown; 'runs-on': string; if?: string; needs?: unknown };

describe('every workflow', () => {
  it('puts no expression inside a shell script, evals nothing, never dumps the secrets context', () => {
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const f of all) {
      const wf = read(f);
      for (const [name, job] of Object.entries(wf.jobs) as [string, Job][]) {
        for (const step of job.steps) {
          if (step.run) {
            expect(step.run, `${f} ${name}`).not.toContain('${{');
            expect(step.run, `${f} ${name}`).not.toMatch(/\beval\b/);
            expect(step.run, `${f} ${name}`).not.toMatch(/ssh-keyscan/);
            if (/\bnpm ci\b/.test(step.run)) expect(step.run, `${f} ${name}`).toMatch(/npm ci --ignore-scripts/);
          }
        }
      }
      expect(fs.readFileSync(path.join(dir, f), 'utf8'), f).not.toMatch(/toJSON\(\s*secrets\s*\)/);
    }
  });
});

describe('every action is pinned to a commit', () => {
  it('each `uses:` is <action>@<40 hex> # <version>, from the one table of pins (scripts/workflows.ts)', () => {
    let count = 0;
    for (const f of all) {
      for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => /^\s*(- )?uses:/.test(l))) {
        count++;
        const m = /uses: ([\w.-]+\/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$/.exec(line);
        expect(m, `${f}: ${line.trim()}`).not.toBeNull();
        expect(ACTION_PINS[m![1] as keyof typeof ACTION_PINS], `${f}: ${m![1]}`).toEqual({ sha: m![2], version: m![3] });
      }
    }
    expect(count).toBeGreaterThan(10);
  });

  it('download-artifact is at least 4.1.3 (CVE-2024-42471, path traversal)', () => {
    const [major, minor, patch] = ACTION_PINS['actions/download-artifact'].version.slice(1).split('.').map(Number);
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(4_001_003);
  });
});

describe('plan.yml: the pull request\'s code gets nothing to steal', () => {
  const wf = read('plan.yml');
  it('runs on pull_request with a read-only token only', () => {
    expect(Object.keys(wf.on)).toEqual(['pull_request']);
    expect(wf.permissions).toEqual({ contents: 'read' });
  });
  for (const [name, job] of Object.entries(wf.jobs) as [string, Job][]) {
    it(`job ${name}: no environment, no secret, read-only permissions, no persisted token`, () => {
      expect(job.environment).toBeUndefined();
      expect(text(job)).not.toMatch(/secrets\./);
      expect(text(job)).not.toMatch(/github\.token|GITHUB_TOKEN/);
      expect(job.permissions ?? wf.permissions).toEqual({ contents: 'read' });
      for (const s of job.steps.filter((x) => x.uses?.startsWith('actions/checkout'))) expect(s.with?.['persist-credentials']).toBe(false);
      // what leaves the job is summary data only: no Markdown, no pull request number
      const uploads = job.steps.filter((x) => x.uses?.startsWith('actions/upload-artifact'));
      expect(uploads.map((u) => u.with?.path)).toEqual(['${{ runner.temp }}/synth-diff.json']);
    });
  }
});

describe('plan-comment.yml: credentials only with trusted code', () => {
  const wf = read('plan-comment.yml');
  const jobs = wf.jobs as Record<string, Job>;
  const planned = () => stacks().filter((s) => s.github?.planEnvironment).map((s) => s.environmentName).sort();

  it('is triggered by the plan workflow only, with no default permission', () => {
    expect(wf.on).toEqual({ workflow_run: { workflows: ['plan'], types: ['completed'] } });
    expect(wf.permissions).toEqual({});
    expect(Object.keys(jobs).sort()).toEqual(['comment', 'prepare', ...planned().map((e) => `plan-${e}`)].sort());
  });

  it('checks out only the default branch (no ref, repository or path) and runs only its built scripts', () => {
    for (const [name, job] of Object.entries(jobs)) {
      for (const s of job.steps) {
        if (s.uses?.startsWith('actions/checkout')) expect(s.with ?? {}, name).not.toHaveProperty('ref');
        if (s.uses?.startsWith('actions/checkout')) expect(s.with ?? {}, name).not.toHaveProperty('repository');
        if (s.uses?.startsWith('actions/checkout')) expect(s.with ?? {}, name).not.toHaveProperty('path');
        expect(s['working-directory'], name).toBeUndefined();
        if (!s.run) continue;
        expect(s.run, name).not.toMatch(/(^|[;&|]\s*)cd\s/m);
        for (const cmd of s.run.split('\n').map((l) => l.trim()).filter(Boolean)) {
          // node only on the trusted build; npm only to install and build the trusted checkout
          if (/\bnode\b/.test(cmd)) expect(cmd, name).toMatch(/^node dist\/scripts\/[a-z-]+\.js( |$)/);
          if (/\bnpm\b/.test(cmd)) expect(['npm ci --ignore-scripts', 'npm run build'], name).toContain(cmd);
        }
      }
    }
  });

  it('uploads exactly the extracted pull request folder and each plan\'s summary, nothing else', () => {
    const uploads = Object.entries(jobs).flatMap(([name, job]) => job.steps.filter((x) => x.uses?.startsWith('actions/upload-artifact')).map((u) => [name, u.with?.name, u.with?.path]));
    expect(uploads).toEqual([
      ['prepare', 'pr-environments', '${{ runner.temp }}/pr'],
      ...planned().map((e) => [`plan-${e}`, `plan-${e}`, `\${{ runner.temp }}/plan-${e}.json`]),
    ]);
  });

  it('downloads artifacts only into the runner\'s temporary folder, and the pull request number comes from the event', () => {
    for (const job of Object.values(jobs)) {
      for (const s of job.steps.filter((x) => x.uses?.startsWith('actions/download-artifact'))) expect(String(s.with?.path)).toMatch(/^\$\{\{ runner\.temp \}\}\//);
    }
    const post = jobs.comment.steps.find((s) => s.uses?.startsWith('actions/github-script'))!;
    expect(post.env).toEqual({ PR_NUMBER: '${{ needs.prepare.outputs.pr }}', HEAD_SHA: '${{ needs.prepare.outputs.head_sha }}' });
    expect(jobs.prepare.steps.find((s) => s.run?.includes('find-pr'))).toBeDefined();
  });

  it('gives secrets only to plan jobs, only as step env, only the read-only plan identity', () => {
    for (const [name, job] of Object.entries(jobs)) {
      expect(text(job.env ?? {}), name).not.toMatch(/secrets\./);
      if (!name.startsWith('plan-')) {
        expect(text(job), name).not.toMatch(/secrets\./);
        expect(job.environment, name).toBeUndefined();
        continue;
      }
      const env = name.slice('plan-'.length);
      const stack = stacks().find((s) => s.environmentName === env)!;
      expect(job.environment).toBe(`${stack.github!.environment ?? env}-plan`);
      expect(job.permissions).toEqual({ contents: 'read' });
      const used = new Set<string>();
      for (const s of job.steps) {
        for (const m of text(s.with ?? {}).matchAll(/secrets\./g)) expect(m, `${name} with:`).toBeUndefined();
        for (const [k, v] of Object.entries(s.env ?? {})) {
          const m = /^\$\{\{ secrets\.([A-Z0-9_]+) \}\}$/.exec(v);
          if (m) used.add(m[1]);
          else expect(v, `${name} ${k}`).not.toMatch(/secrets/);
        }
      }
      const sshKeys = [...stack.hosts.values()].filter((h) => h.docker.startsWith('ssh://')).map((h) => planKeySecret(h.name));
      // the state passphrase: the plan reads the encrypted state (README "Security model" says what it opens)
      // the recorded secret versions (keyed hashes, no value): a rotated secret still shows in the plan
      expect(stack.recordsSecretVersions).toBe(true);
      expect([...used].sort()).toEqual([...PLAN_SECRETS, ...sshKeys, STATE_PASSPHRASE_VARIABLE, 'STACKYARD_SECRET_VERSIONS'].sort());
      // none of the application's secret names, none of the deploy identity's
      for (const s of [...stack.secretNames, 'STACKYARD_GITHUB_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) expect(used.has(s), s).toBe(false);
      // the SSH step installs the plan keys (issue: the old plan job never did)
      expect(job.steps.some((s) => s.run === `node dist/scripts/pr-plan.js ssh ${env}`)).toBe(sshKeys.length > 0);
    }
  });
});

describe('deploy workflows', () => {
  // The tests are made per deploy workflow on disk, so that no environment is built while the file
  // is collected; the first test checks that those are exactly the environments with `github:`.
  const deployed = all.filter((f) => /^deploy-.+\.yml$/.test(f)).map((f) => f.slice('deploy-'.length, -'.yml'.length)).sort();
  it('there is one per environment with a github: section, and no other', () => {
    expect(deployed).toEqual(stacks().filter((s) => s.github).map((s) => s.environmentName).sort());
  });
  for (const env of deployed) {
    const stackOf = () => stacks().find((s) => s.environmentName === env)!;
    const wf = read(`deploy-${env}.yml`);
    const job = wf.jobs.deploy as Job;
    it(`${env}: secrets only on the steps that need them, every declared one as TF_VAR_ on the deploy step`, () => {
      const stack = stackOf();
      expect(text(job.env)).not.toMatch(/secrets\./);
      expect(job.environment).toBe(stack.github!.environment ?? env);
      const withSecrets = job.steps.filter((s) => text(s).includes('secrets.'));
      const deploy = job.steps.find((s) => s.run?.includes('npm run deploy'))!;
      const ssh = job.steps.find((s) => s.env?.KNOWN_HOSTS);
      expect(withSecrets).toEqual([ssh, deploy].filter(Boolean));
      if (ssh) expect(Object.entries(ssh.env!).filter(([, v]) => v.includes('secrets.'))).toEqual([['SSH_PRIVATE_KEY', '${{ secrets.SSH_PRIVATE_KEY }}']]);
      const tfVars = Object.entries(deploy.env!).filter(([k]) => k.startsWith('TF_VAR_'));
      for (const [k, v] of tfVars) expect(v).toBe(`\${{ secrets.${k.slice(7)} }}`);
      expect(tfVars.map(([k]) => k.slice(7)).sort()).toEqual([...stack.secretNames, STATE_PASSPHRASE_VARIABLE].sort());
    });
    it(`${env}: pinned host keys, a checked release tag`, () => {
      const stack = stackOf();
      const ssh = job.steps.find((s) => s.env?.KNOWN_HOSTS);
      for (const h of [...stack.hosts.values()].filter((x) => x.docker.startsWith('ssh://'))) expect(ssh!.env!.KNOWN_HOSTS).toContain(h.hostKey);
      const tag = job.steps.find((s) => s.env?.INPUT_TAG);
      expect(tag?.run).toBe('node dist/scripts/release-tag.js');
    });
  }
});

describe('release tag', () => {
  it('takes a Docker tag or the commit, and refuses anything that could add a variable', () => {
    expect(releaseTag('sha-1a2b3c4', undefined)).toBe('sha-1a2b3c4');
    expect(releaseTag('', 'abcdef0123456789abcdef0123456789abcdef01')).toBe('sha-abcdef0');
    for (const bad of ['x\nTF_CLI_ARGS_apply=-destroy', 'a b', '-x', '.x', 'x'.repeat(129), 'x$(id)']) expect(() => releaseTag(bad, undefined), bad).toThrow(/is not a Docker tag/);
    expect(() => releaseTag(undefined, 'main\nX=1')).toThrow(/GITHUB_SHA/);
  });
});

describe('values that reach workflows are checked at synth', () => {
  const gh = (extra: string) => MINIMAL.replace('name: test', `name: test\n${extra}`);
  const cases: [string, string, string][] = [
    ['shell in an ssh docker URL', MINIMAL.replace('unix:///var/run/docker.sock', 'ssh://deploy@x;touch /tmp/p'), 'env.yaml:3:11 hosts.main.docker: expected unix:///path/docker.sock, ssh://user@host[:port] or tcp://host:port (got "ssh://deploy@x;touch /tmp/p")'],
    ['command substitution in a docker URL', MINIMAL.replace('unix:///var/run/docker.sock', 'ssh://deploy@host$(id)|x:22'), 'env.yaml:3:11 hosts.main.docker: expected unix:///path/docker.sock, ssh://user@host[:port] or tcp://host:port (got "ssh://deploy@host$(id)|x:22")'],
    ['a newline in github.environment', gh('github: { owner: acme, repository: platform, environment: "prod\\nx" }'), 'env.yaml:2:46 github.environment: a GitHub environment name for workflows: letters, digits, . _ -, starting with a letter or digit (got "prod\\nx")'],
    ['an expression in github.environment', gh('github: { owner: acme, repository: platform, environment: "prod${{ github.token }}" }'), 'env.yaml:2:46 github.environment: a GitHub environment name for workflows: letters, digits, . _ -, starting with a letter or digit (got "prod${{ github.token }}")'],
    ['YAML in a branch pattern', gh('github: { owner: acme, repository: platform, branches: ["main\\"]\\n  x"] }'), 'env.yaml:2:57 github.branches.0: a branch pattern: letters, digits and . _ - / * + (got "main\\"]\\n  x")'],
    ['shell in the owner', gh('github: { owner: "acme;x", repository: platform }'), 'env.yaml:2:11 github.owner: a GitHub user or organization name (got "acme;x")'],
    ['a second line in a host key', MINIMAL.replace('unix:///var/run/docker.sock", address: 10.0.0.1 }', 'ssh://deploy@h.example.com", address: 10.0.0.1, hostKey: "ssh-ed25519 AAAA\\nx" }'), 'env.yaml:3:68 hosts.main.hostKey: expected an SSH public host key such as "ssh-ed25519 AAAAC3Nz...", as in known_hosts without the host name (got "ssh-ed25519 AAAA\\nx")'],
    ['an ssh host of a GitHub environment without a pinned key', gh('github: { owner: acme, repository: platform }').replace('unix:///var/run/docker.sock', 'ssh://deploy@h.example.com'), 'env.yaml:4:11 hosts.main.docker: an ssh:// host of an environment with `github:` needs its pinned host key for the workflows; add hosts.main.hostKey (the "ssh-ed25519 AAAA..." line of `ssh-keyscan -t ed25519 <host>`, checked out of band)'],
  ];
  for (const [name, file, expected] of cases) it(name, () => expect(errors({ 'env.yaml': file })).toEqual([expected]));
  it('the bundled environments still load', () => expect(environmentFiles(path.join(root, 'environments')).length).toBeGreaterThan(0));
});
