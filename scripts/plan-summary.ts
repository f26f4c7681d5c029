/**
 * `npm run plan:summary -- [name=]plan.json ...` : one Markdown comment for the plans of several
 * stacks (the JSON of `tofu show -json <planfile>`). `--out file` writes it there, else stdout;
 * `--meta file` writes { dataLoss, destroy, changes, truncated } for the workflow's labels;
 * `--json file` writes the summary data (lib/plan/artifact.ts), the only form a plan may leave
 * the runner in; `--placeholders` compares placeholder secret values as unchanged (plans made
 * without secrets).
 * `npm run diff:synth -- <base cdktf.out> <head cdktf.out>` : the same from a structural diff of
 * two synthesized trees (no secrets, no state, no engine).
 * `npm run plan:render -- [trusted:|pr-code:]summary.json ... [--notes notes.json]` : the comment
 * from summary data files (possibly written by untrusted code: read strictly as data).
 * `--environments DIR` (any mode) adds a Mermaid picture of the services each plan touches, with
 * their neighbours from the environment files in DIR (lib/plan/diagram.ts).
 * Exit code: 0, or 3 when a data-loss warning was raised; 1 on bad input (a message, no stack trace).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, formatProblem } from '../lib/config/errors';
import { readArtifact, toArtifact } from '../lib/plan/artifact';
import { synthDiff } from '../lib/plan/synth-diff';
import { parsePlan, renderSummary, type StackPlan } from '../lib/plan/summary';
import { topologiesFrom } from '../lib/plan/topologies';

export const DATA_LOSS_EXIT = 3;
const VALUE_FLAGS = new Set(['--out', '--meta', '--json', '--notes', '--environments']);
const BOOLEAN_FLAGS = new Set(['--placeholders']);
export const SOURCE_NOTES: Record<string, string> = {
  trusted: "planned by the base branch's code with the read-only plan identity",
  'pr-code': "structural diff computed by the pull request's own code, without the engine",
};

function bad(message: string): never {
  throw new ConfigError([{ file: '(arguments)', line: 0, col: 0, path: '', message }]);
}

function readNotes(file: string): string[] {
  let notes: unknown;
  try {
    notes = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return bad(`${file}: expected a JSON list of sentences`);
  }
  if (!Array.isArray(notes) || notes.length > 50 || !notes.every((n) => typeof n === 'string' && n.length <= 1000)) bad(`${file}: expected a JSON list of at most 50 sentences`);
  return notes as string[];
}

function main(argv: string[]): number {
  const mode = argv[0];
  const args = argv.slice(1);
  const flags: Record<string, string> = {};
  const switches = new Set<string>();
  const inputs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (VALUE_FLAGS.has(args[i])) {
      if (i + 1 >= args.length) bad(`${args[i]} needs a file`);
      flags[args[i]] = args[++i];
    } else if (BOOLEAN_FLAGS.has(args[i])) switches.add(args[i]);
    else if (args[i].startsWith('--')) bad(`unknown option ${args[i]}`);
    else inputs.push(args[i]);
  }
  let plans: StackPlan[];
  let notes: string[] = [];
  if (mode === 'diff') {
    if (inputs.length !== 2) bad('give two folders: npm run diff:synth -- <base cdktf.out> <head cdktf.out>');
    plans = synthDiff(inputs[0], inputs[1]);
  } else if (mode === 'render') {
    plans = inputs.flatMap((arg) => {
      const m = /^(trusted|pr-code):(.+)$/.exec(arg);
      const read = readArtifact(m ? m[2] : arg);
      return m ? read.map((p) => ({ ...p, note: SOURCE_NOTES[m[1]] })) : read;
    });
    if (flags['--notes']) notes = readNotes(flags['--notes']);
  } else if (mode === 'plan') {
    plans = inputs.map((arg) => {
      const eq = arg.indexOf('=');
      const [name, file] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [path.basename(arg).replace(/\.json$/, ''), arg];
      if (!fs.existsSync(file)) throw new ConfigError([{ file, line: 0, col: 0, path: '', message: 'file does not exist' }]);
      return parsePlan(name, fs.readFileSync(file, 'utf8'), file, { placeholders: switches.has('--placeholders') });
    });
  } else return bad(`unknown mode ${JSON.stringify(mode)}; expected plan, diff or render`);
  // --environments DIR: add the picture of the services each plan touches (plans named as the environments)
  const diagrams = flags['--environments'] ? topologiesFrom(flags['--environments'], plans.map((p) => p.name)) : undefined;
  const s = renderSummary(plans, undefined, { notes, diagrams });
  if (flags['--out']) fs.writeFileSync(flags['--out'], s.markdown);
  if (flags['--json']) fs.writeFileSync(flags['--json'], toArtifact(plans));
  if (flags['--meta']) {
    // for the workflow's labels: no-changes / add-or-update / destroy, and the data-loss gate
    const all = plans.flatMap((p) => p.changes);
    const meta = { dataLoss: s.dataLoss, destroy: all.some((c) => c.action === 'delete' || c.action === 'replace'), changes: all.length > 0, truncated: s.truncated };
    fs.writeFileSync(flags['--meta'], JSON.stringify(meta) + '\n');
  }
  if (!flags['--out'] && !flags['--json'] && !flags['--meta']) process.stdout.write(s.markdown);
  if (s.dataLoss) process.stderr.write('plan summary: data-loss warning raised\n');
  return s.dataLoss ? DATA_LOSS_EXIT : 0;
}

function run(argv: string[]): number {
  try {
    return main(argv);
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) process.stderr.write(`${p.line ? formatProblem(p) : `${p.file}: ${p.message}`}\n`);
      return 1;
    }
    // never a stack trace for input it could not read: one line, and a non-zero exit
    process.stderr.write(`plan summary: cannot summarise this input: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}

process.exitCode = run(process.argv.slice(2));
