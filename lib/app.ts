/** Shared entry for bin/main.ts and the tests: environment files → synthesized stacks. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';
import { buildEnvironment } from './build';
import { ConfigError, formatProblem, type Problem } from './config/errors';
import { isPartialFile, loadEnvironment } from './config/load';
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
  const stacks: EnvironmentStack[] = [];
  const names = new Map<string, string>();
  for (const file of files) {
    try {
      const loaded = loadEnvironment(file);
      if (only && !only.includes(loaded.config.name)) continue;
      const previous = names.get(loaded.config.name);
      if (previous) {
        problems.push({ file, line: 1, col: 1, path: 'name', message: `environment name ${loaded.config.name} is already used by ${previous}; names must be unique` });
        continue;
      }
      names.set(loaded.config.name, file);
      stacks.push(buildEnvironment(app, loaded));
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length) {
    // cdktf creates the output folder up front; leave no trace of a failed run
    if (!existed) fs.rmSync(outdir, { recursive: true, force: true });
    throw new ConfigError(problems);
  }
  return { app, stacks };
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
    return 2;
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
