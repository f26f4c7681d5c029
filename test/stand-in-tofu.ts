/**
 * A stand-in `tofu` for in-process tests of the code that drives OpenTofu (lib/deploy/run.ts,
 * bin/commands' plan): named by TERRAFORM_BINARY_NAME with STACKYARD_USE_OWN_ENGINE set, it logs
 * every call (its arguments, one line each) and answers from a script file:
 *  - `init`, `plan`, `apply`, `destroy`: the n-th call of a verb gets the n-th reply of its list (the
 *    last one once the list runs out); a reply prints its machine-readable events (one JSON per
 *    line, as `-json` runs do), its stdout and stderr, and exits with its status;
 *  - `init` that succeeds makes `.terraform/` and the lock file, as OpenTofu's does;
 *  - `plan -out=FILE` writes FILE; `show -json FILE` prints the script's plan JSON file, and exits 9
 *    when FILE is missing (a plan that was never written);
 *  - `apply` keeps a copy of the stack it was given (`stackOf(n)`);
 *  - `state pull` and `state list` print the script's text.
 * The real OpenTofu is exercised by test/e2e, test/converge and test/fleet.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TofuReply {
  /** Printed one JSON per line on stdout, before `stdout`. */
  events?: unknown[];
  stdout?: string;
  stderr?: string;
  /** Exit status (0 when unset). */
  status?: number;
}

export interface TofuScript {
  init?: TofuReply[];
  plans?: TofuReply[];
  applies?: TofuReply[];
  destroys?: TofuReply[];
  /** `show -json`: a reply (a failure, say); when it succeeds, `planJson`'s text is printed. */
  show?: TofuReply;
  /** The file `show -json` prints. */
  planJson?: string;
  state?: string;
  stateList?: string;
}

const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require('fs');
const s = JSON.parse(fs.readFileSync(process.env.STAND_IN_TOFU_SCRIPT, 'utf8'));
const a = process.argv.slice(2);
const log = process.env.STAND_IN_TOFU_LOG;
const before = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith(a[0] + ' ')).length : 0;
fs.appendFileSync(log, a.join(' ') + '\n');
const pick = (list) => (list && list.length ? list[Math.min(before, list.length - 1)] : {});
const reply = (r) => {
  for (const e of r.events || []) process.stdout.write(JSON.stringify(e) + '\n');
  if (r.stdout) process.stdout.write(r.stdout + '\n');
  if (r.stderr) process.stderr.write(r.stderr + '\n');
  process.exit(r.status || 0);
};
switch (a[0]) {
  case 'init': {
    const r = pick(s.init);
    if (!r.status) { fs.mkdirSync('.terraform', { recursive: true }); fs.writeFileSync('.terraform.lock.hcl', ''); }
    reply(r); break;
  }
  case 'plan': {
    const r = pick(s.plans);
    const out = a.find((x) => x.startsWith('-out='));
    if (!r.status && out) fs.writeFileSync(out.slice('-out='.length), 'binary-plan');
    reply(r); break;
  }
  case 'show': {
    const r = s.show || {};
    if (r.status) reply(r);
    const file = a[a.length - 1];
    if (!fs.existsSync(file)) { process.stderr.write('no plan file ' + file + '\n'); process.exit(9); }
    process.stdout.write(fs.readFileSync(s.planJson, 'utf8'));
    break;
  }
  case 'state':
    if (a[1] === 'pull') process.stdout.write(s.state || '');
    if (a[1] === 'list') process.stdout.write(s.stateList || '');
    break;
  case 'apply': fs.copyFileSync('cdk.tf.json', log + '.stack.' + before); reply(pick(s.applies)); break;
  case 'destroy': reply(pick(s.destroys)); break;
  default: process.exit(64);
}
`;

export interface StandInTofu {
  /** The stand-in's path (for TERRAFORM_BINARY_NAME). */
  readonly bin: string;
  /** Replaces the script. */
  set(script: TofuScript): void;
  /** Every call's arguments, joined by spaces, in order. */
  calls(): string[];
  /** Forgets the calls so far (and so restarts each verb's list of replies). */
  clearCalls(): void;
  /** The stack (cdk.tf.json) the n-th `apply` was given. */
  stackOf(n: number): string;
  /** What the stand-in and stackyard need in the environment to run it. */
  readonly env: Record<string, string>;
}

/** Writes the stand-in as `dir/bin/tofu` (with `dir/tofu-script.json` and `dir/tofu-calls.log`). */
export function standInTofu(dir: string, script: TofuScript = {}): StandInTofu {
  const binDir = path.join(dir, 'bin');
  fs.mkdirSync(binDir, { recursive: true });
  const bin = path.join(binDir, 'tofu');
  fs.writeFileSync(bin, SCRIPT, { mode: 0o755 });
  const file = path.join(dir, 'tofu-script.json');
  const log = path.join(dir, 'tofu-calls.log');
  const set = (s: TofuScript) => fs.writeFileSync(file, JSON.stringify(s));
  set(script);
  return {
    bin,
    set,
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    clearCalls: () => fs.writeFileSync(log, ''),
    stackOf: (n) => fs.readFileSync(`${log}.stack.${n}`, 'utf8'),
    env: { STAND_IN_TOFU_SCRIPT: file, STAND_IN_TOFU_LOG: log, STACKYARD_USE_OWN_ENGINE: '1', TERRAFORM_BINARY_NAME: bin },
  };
}
