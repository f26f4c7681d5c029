/** Shared entry for bin/main.ts and the tests: environment files → synthesized stacks. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { buildEnvironment } from './build';
import { compareProblems, ConfigError, formatProblem, type Problem } from './config/errors';
import { isPartialFile, loadEnvironment, type LoadedEnvironment } from './config/load';
import { positionOf } from './config/yaml-source';
import type { EnvironmentStack } from './environment-stack';
import { withoutCreationTraces } from './trace-capture';
import { formatWarning, type Finding } from './validation';

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
export function buildApp(files: readonly string[], outdir: string, only?: readonly string[]): { app: App; stacks: EnvironmentStack[]; warnings: Finding[] } {
  const existed = fs.existsSync(outdir);
  const app = new App({ outdir, stackTraces: false, skipValidation: false });
  const problems: Problem[] = [];
  const warnings: Finding[] = [];
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
    const stack = collect(() => buildEnvironment(app, env, { repositorySecretsElsewhere: elsewhere, onWarning: (w) => warnings.push(w) }));
    if (stack) stacks.push(stack);
  }
  if (problems.length) {
    // cdktf creates the output folder up front; leave no trace of a failed run
    if (!existed) fs.rmSync(outdir, { recursive: true, force: true });
    throw new ConfigError(problems);
  }
  return { app, stacks, warnings: warnings.sort(compareProblems) };
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
    const { stacks, warnings } = withoutCreationTraces(() => {
      const built = buildApp(environmentFiles(opts.dir), opts.outdir ?? 'cdktf.out', opts.only);
      built.app.synth();
      return built;
    });
    for (const w of warnings) err(formatWarning(w));
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

/** Services named in the synth summary per environment; beyond, they are counted by kind. */
export const SUMMARY_MAX_NAMED = 24;

/**
 * The synth summary: one row per environment, its services wrapped under the last column to
 * `columns` characters (the terminal's width, 100 when piped); an environment with more than
 * SUMMARY_MAX_NAMED services gets counts by kind instead of names.
 */
export function summaryTable(stacks: readonly EnvironmentStack[], columns = process.stdout.columns || 100): string[] {
  const rows = stacks.map((s) => {
    const svcs = s.services;
    const hosts = [...new Set(svcs.map((x) => x.host))].sort();
    const containers = svcs.reduce((n, x) => n + x.replicas, 0);
    let words: string[];
    if (svcs.length > SUMMARY_MAX_NAMED) {
      const kinds = new Map<string, number>();
      for (const x of svcs) kinds.set(x.kind, (kinds.get(x.kind) ?? 0) + 1);
      words = [...kinds.entries()].sort(([a, n], [b, m]) => m - n || a.localeCompare(b)).map(([k, n]) => `${n} ${k},`);
      words[words.length - 1] = words[words.length - 1].replace(/,$/, '');
      words.unshift('by kind:');
    } else words = svcs.map((x) => (x.replicas > 1 ? `${x.serviceName}×${x.replicas}` : x.serviceName)).sort();
    const hostText = hosts.length > 4 ? `${hosts.length} hosts` : hosts.join(',');
    return [s.environmentName, hostText, `${svcs.length} services / ${containers} containers`, words] as const;
  });
  const head = ['stack', 'hosts', 'size', 'services × replicas'];
  const widths = head.slice(0, 3).map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const indent = widths.reduce((n, w) => n + w + 2, 0);
  const room = Math.max(20, columns - indent);
  const wrap = (words: readonly string[]): string[] => {
    const out: string[] = [];
    let line = '';
    for (const w of words) {
      if (line && line.length + 1 + w.length > room) {
        out.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    return [...out, line];
  };
  const fmt = (cells: readonly string[], last: string) => `${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}  ${last}`.trimEnd();
  const out = [fmt(head.slice(0, 3), head[3]), fmt(widths.map((w) => '-'.repeat(w)), '-'.repeat(head[3].length))];
  for (const r of rows) {
    const [first, ...more] = wrap(r[3]);
    out.push(fmt([r[0], r[1], r[2]], first));
    for (const m of more) out.push(`${' '.repeat(indent)}${m}`);
  }
  return out;
}
