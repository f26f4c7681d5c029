/**
 * `npm run plan:summary -- [name=]plan.json ...` : one Markdown comment for the plans of several
 * stacks (the JSON of `tofu show -json <planfile>`). `--out file` writes it there, else stdout;
 * `--meta file` writes { dataLoss, destroy, changes, truncated } for the workflow's labels.
 * Exit code: 0, or 3 when a data-loss warning was raised; 1 on bad input.
 * `npm run diff:synth -- <base cdktf.out> <head cdktf.out> [--out file]` : the same form from a
 * structural diff of two synthesized trees (pull requests from forks: no secrets, no state).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, formatProblem } from '../lib/config/errors';
import { synthDiff } from '../lib/plan/synth-diff';
import { parsePlan, renderSummary, type StackPlan } from '../lib/plan/summary';

export const DATA_LOSS_EXIT = 3;

function main(argv: string[]): number {
  const mode = argv[0];
  const args = argv.slice(1);
  const flags: Record<string, string> = {};
  const inputs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out' || args[i] === '--meta') flags[args[i]] = args[++i];
    else inputs.push(args[i]);
  }
  const out = flags['--out'];
  try {
    let plans: StackPlan[];
    if (mode === 'diff') {
      if (inputs.length !== 2) throw new ConfigError([{ file: '(arguments)', line: 0, col: 0, path: '', message: 'give two folders: npm run diff:synth -- <base cdktf.out> <head cdktf.out>' }]);
      plans = synthDiff(inputs[0], inputs[1]);
    } else {
      plans = inputs.map((arg) => {
        const eq = arg.indexOf('=');
        const [name, file] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [path.basename(arg).replace(/\.json$/, ''), arg];
        if (!fs.existsSync(file)) throw new ConfigError([{ file, line: 0, col: 0, path: '', message: 'file does not exist' }]);
        return parsePlan(name, fs.readFileSync(file, 'utf8'), file);
      });
    }
    const s = renderSummary(plans);
    if (out) fs.writeFileSync(out, s.markdown);
    if (flags['--meta']) {
      // for the workflow's labels: no-changes / add-or-update / destroy, and the data-loss gate
      const all = plans.flatMap((p) => p.changes);
      const meta = { dataLoss: s.dataLoss, destroy: all.some((c) => c.action === 'delete' || c.action === 'replace'), changes: all.length > 0, truncated: s.truncated };
      fs.writeFileSync(flags['--meta'], JSON.stringify(meta) + '\n');
    }
    else process.stdout.write(s.markdown);
    if (s.dataLoss) process.stderr.write('plan summary: data-loss warning raised\n');
    return s.dataLoss ? DATA_LOSS_EXIT : 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) process.stderr.write(`${p.line ? formatProblem(p) : `${p.file}: ${p.message}`}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
