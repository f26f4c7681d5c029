/** Shared entry for bin/main.ts and the tests: environment files → synthesized stacks. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { buildEnvironment } from './build';
import { ConfigError, formatProblem, type Problem } from './config/errors';
import { isPartialFile, loadEnvironment, type LoadedEnvironment } from './config/load';
import { positionOf } from './config/yaml-source';
import type { EnvironmentStack } from './environment-stack';
import { withoutCreationTraces } from './trace-capture';

export interface SynthOptions {
  /** Folder of environment files. */
  readonly dir: string;
  /** Output folder. @default cdktf.out */
  readonly outdir?: string;
  /** Only these environment names. @default - all */
  readonly only?: readonly string[];
  /** No summary table. @default false */
  readonly quiet?: boolean;
  /** Where messages go. @default process.stdout / process.stderr */
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
}

/** Lists the environment files of a folder (sorted, partial files left out). */
export function environmentFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) throw new ConfigError([{ file: dir, line: 0, col: 0, path: '', message: 'environments folder does not exist; create it or set ENVIRONMENTS_DIR' }]);
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f))
    .filter((f) => !isPartialFile(f));
}

/** Builds every environment in one App; returns the app and stacks, or throws all problems together. */
export function buildApp(files: readonly string[], outdir: string, only?: readonly string[]): { app: App; stacks: EnvironmentStack[] } {
  const existed = fs.existsSync(outdir);
  const app = new App({ outdir, stackTraces: false, skipValidation: false });
  const problems: Problem[] = [];
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else throw e;
      return undefined;
    }
  };
  // pass 1: load every file, check what stacks share (names, GitHub environments, repository
  // secrets). Every file, even with `only`: who owns a repository secret decides what the selected
  // stacks contain, so one environment synthesized alone is the same stack as in a full synth.
  const loaded: { file: string; env: LoadedEnvironment }[] = [];
  const names = new Map<string, string>();
  const githubOwners = new Map<string, string>();
  for (const file of files) {
    const env = collect(() => loadEnvironment(file));
    if (!env) continue;
    const previous = names.get(env.config.name);
    if (previous) {
      problems.push({ ...positionOf(env.source, ['name']), path: 'name', message: `environment name ${env.config.name} is already used by ${previous}; names must be unique` });
      continue;
    }
    names.set(env.config.name, file);
    const gh = env.config.github;
    if (gh) {
      const key = `${gh.owner}/${gh.repository} environment ${gh.environment ?? env.config.name}`;
      const owner = githubOwners.get(key);
      if (owner) problems.push({ ...positionOf(env.source, ['github']), path: 'github', message: `GitHub ${key} is already managed by ${owner}; give this stack its own \`github.environment\`` });
      else githubOwners.set(key, file);
      gh.repositorySecrets.forEach((s, i) => {
        const k = `${gh.owner}/${gh.repository} repository secret ${s}`;
        const o = githubOwners.get(k);
        if (o) problems.push({ ...positionOf(env.source, ['github', 'repositorySecrets', i]), path: `github.repositorySecrets.${i}`, message: `${k} is already managed by ${o}; list a shared secret under repositorySecrets in one environment file only` });
        else githubOwners.set(k, file);
      });
    }
    loaded.push({ file, env });
  }
  // pass 2: build; a secret another stack keeps at repository level is not copied per environment
  const stacks: EnvironmentStack[] = [];
  for (const { env } of loaded) {
    if (only && !only.includes(env.config.name)) continue;
    const gh = env.config.github;
    const elsewhere = gh
      ? env.config.secrets.filter((s) => !gh.repositorySecrets.includes(s) && githubOwners.has(`${gh.owner}/${gh.repository} repository secret ${s}`))
      : [];
    const stack = collect(() => buildEnvironment(app, env, { repositorySecretsElsewhere: elsewhere }));
    if (stack) stacks.push(stack);
  }
  if (problems.length) {
    // cdktf creates the output folder up front; leave no trace of a failed run
    if (!existed) fs.rmSync(outdir, { recursive: true, force: true });
    throw new ConfigError(problems);
  }
  return { app, stacks };
}

/** A folder's environments built in memory, for reports and the other targets; nothing is kept on disk. */
export function loadStacks(dir: string, only?: readonly string[]): EnvironmentStack[] {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'stackyard-'));
  try {
    return buildApp(environmentFiles(dir), scratch, only).stacks;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export function synthEnvironments(opts: SynthOptions): number {
  const out = opts.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const err = opts.err ?? ((l: string) => process.stderr.write(l + '\n'));
  try {
    const stacks = withoutCreationTraces(() => {
      const built = buildApp(environmentFiles(opts.dir), opts.outdir ?? 'cdktf.out', opts.only);
      built.app.synth();
      return built.stacks;
    });
    if (!opts.quiet) for (const line of summaryTable(stacks)) out(line);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) err(formatProblem(p));
      err(`\n${e.problems.length} problem(s) found; nothing was synthesized.`);
      return 1;
    }
    err(`stackyard: internal error (please report it): ${(e as Error).stack ?? String(e)}`);
    return 70;
  }
}

export function summaryTable(stacks: readonly EnvironmentStack[]): string[] {
  const rows = stacks.map((s) => {
    const svcs = s.services;
    const hosts = [...new Set(svcs.map((x) => x.host))].sort();
    const containers = svcs.reduce((n, x) => n + x.replicas, 0);
    const list = svcs.map((x) => (x.replicas > 1 ? `${x.serviceName}×${x.replicas}` : x.serviceName)).sort().join(' ');
    return [s.environmentName, hosts.join(','), `${svcs.length} services / ${containers} containers`, list];
  });
  const head = ['stack', 'hosts', 'size', 'services × replicas'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];
}
