/**
 * Shared entry for bin/main.ts and the tests: environment files → models (lib/environments.ts) →
 * synthesized Terraform stacks. The one place that wires the model to the Terraform targets.
 */
import { App } from 'cdktf';
import type { Construct } from 'constructs';
import { ConfigError, formatProblem } from './config/errors';
import { renderDocker } from './docker/render';
import type { Environment } from './environment';
import { buildEnvironments, environmentFiles } from './environments';
import { renderGithub } from './github/render';
import { EnvironmentStack } from './terraform/stack';
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

/**
 * Builds every environment's model, then its Terraform stack in one App (lib/terraform/stack.ts:
 * the Docker target's resources on the Docker platform, GitHub's when configured); throws all
 * problems together, before anything is written.
 */
export function buildApp(files: readonly string[], outdir: string, only?: readonly string[]): { app: App; environments: Environment[]; stacks: EnvironmentStack[]; warnings: Finding[] } {
  const { environments, warnings } = buildEnvironments(files, only);
  const app = new App({ outdir, stackTraces: false, skipValidation: false });
  return { app, environments, stacks: environments.map((e) => environmentStack(app, e)), warnings };
}

export function synthEnvironments(opts: SynthOptions): number {
  const out = opts.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const err = opts.err ?? ((l: string) => process.stderr.write(l + '\n'));
  try {
    const { environments, warnings } = withoutCreationTraces(() => {
      const built = buildApp(environmentFiles(opts.dir), opts.outdir ?? 'cdktf.out', opts.only);
      built.app.synth();
      return built;
    });
    for (const w of warnings) err(formatWarning(w));
    if (!opts.quiet) for (const line of summaryTable(environments)) out(line);
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

/**
 * The environment's Terraform stack with every Terraform target rendered: the Docker target's
 * resources on the Docker platform (a model built from code gets its hosts' schedulers there) and
 * the GitHub environment when configured. A Kubernetes environment's stack holds GitHub's only;
 * its manifests come from lib/kubernetes (npm run synth:k8s), from the same model.
 */
export function environmentStack(scope: Construct, model: Environment): EnvironmentStack {
  const stack = new EnvironmentStack(scope, model);
  if (model.platform === 'docker') renderDocker(stack);
  renderGithub(stack);
  return stack;
}

/** Services named in the synth summary per environment; beyond, they are counted by kind. */
export const SUMMARY_MAX_NAMED = 24;

/**
 * The synth summary: one row per environment, its services wrapped under the last column to
 * `columns` characters (the terminal's width, 100 when piped); an environment with more than
 * SUMMARY_MAX_NAMED services gets counts by kind instead of names.
 */
export function summaryTable(stacks: readonly Environment[], columns = process.stdout.columns || 100): string[] {
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
