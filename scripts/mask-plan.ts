/**
 * `node dist/scripts/mask-plan.js [--fixture] [--replace FROM=TO ...] [files...]` : masks the secret
 * values of `tofu show -json` output (lib/plan/mask.ts). With files, rewrites them in place;
 * without, reads stdin and writes stdout. Known secret values: every TF_VAR_* value of this process
 * and the lines of $STACKYARD_MASK_VALUES_FILE, if set. `--fixture` also drops what the test fixtures
 * do not keep (timestamp, prior_state, planned_values); `--replace` swaps machine paths for
 * placeholders. Exit 1 with a message (no stack trace) on input that is not JSON.
 */
import * as fs from 'node:fs';
import { maskPlan } from '../lib/plan/mask';

function knownValues(): string[] {
  const vals = Object.entries(process.env).filter(([k]) => k.startsWith('TF_VAR_')).map(([, v]) => v ?? '');
  const file = process.env.STACKYARD_MASK_VALUES_FILE;
  if (file) vals.push(...fs.readFileSync(file, 'utf8').split('\n'));
  return vals.filter((v) => v.length >= 4);
}

export function maskText(text: string, opts: { fixture: boolean; replace: [string, string][]; known: string[] }): string {
  const plan = JSON.parse(text);
  if (opts.fixture) {
    delete plan.timestamp;
    delete plan.prior_state;
    delete plan.planned_values;
  }
  let out = JSON.stringify(maskPlan(plan, { knownValues: opts.known }));
  for (const [from, to] of opts.replace) if (from) out = out.split(from).join(to);
  return out + '\n';
}

function main(argv: string[]): number {
  const replace: [string, string][] = [];
  const files: string[] = [];
  let fixture = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--fixture') fixture = true;
    else if (argv[i] === '--replace') {
      const [from, ...to] = (argv[++i] ?? '').split('=');
      replace.push([from, to.join('=')]);
    } else files.push(argv[i]);
  }
  const known = knownValues();
  const one = (text: string, where: string): string | undefined => {
    try {
      return maskText(text, { fixture, replace, known });
    } catch (e) {
      process.stderr.write(`${where}: cannot mask: ${(e as Error).message}\n`);
      return undefined;
    }
  };
  if (files.length === 0) {
    const out = one(fs.readFileSync(0, 'utf8'), '(stdin)');
    if (out === undefined) return 1;
    process.stdout.write(out);
    return 0;
  }
  for (const f of files) {
    const out = one(fs.readFileSync(f, 'utf8'), f);
    if (out === undefined) return 1;
    fs.writeFileSync(f, out);
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
