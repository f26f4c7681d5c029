/**
 * `.ci/run`'s last words when the test command fails: which tests failed, and the error of the
 * first of them, printed after everything else. A CI log is often read from its tail, and in a
 * suite whose tests build on each other the first failure is usually the cause while the later
 * ones, each with a long message, scroll it out of view (stop 9's CI showed only the last two of
 * fourteen).
 *
 *   node dist/scripts/ci-failures.js LOG EXIT_CODE
 */
import * as fs from 'node:fs';

/** Lines of the first failure's error kept from its start and from its end (the reason is often last). */
export const HEAD_LINES = 4;
export const TAIL_LINES = 12;
/** Failed tests named one per line; the rest are counted. */
export const MAX_NAMES = 20;

export interface Failure {
  /** `file > describe > test`, as vitest names it. */
  readonly name: string;
  /** The error as vitest printed it, without the code frame and the stack. */
  readonly error: readonly string[];
}

export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

/** vitest's heading of a failure: `FAIL  test/x.test.ts > describe > test` (a file name first, so a deploy's `FAIL core (...)` host line in a message is not one). */
const FAIL = /^\s*FAIL\s+(\S+\.[cm]?[jt]sx?(?:\s.*?)?)\s*$/;
/** vitest's separator between failures: a row of ⎯, sometimes with [n/m] in it. */
const SEPARATOR = /^\s*⎯{3,}/;
/** A code frame line (` 72| ...`, `   | ^`) or a stack frame (`❯ fn file:line:col`). */
const FRAME = /^ {4}[ \d]+\|/;
const STACK = /^\s*❯/;

/** Every failure in vitest's "Failed Tests" listing of the log, in the order printed. */
export function failures(log: string): Failure[] {
  const lines = stripAnsi(log).split('\n');
  const out: Failure[] = [];
  let current: { name: string; error: string[]; inFrame: boolean } | undefined;
  const close = () => {
    if (!current) return;
    const error = current.error;
    while (error.length && !error[error.length - 1].trim()) error.pop();
    out.push({ name: current.name, error });
    current = undefined;
  };
  for (const line of lines) {
    const fail = FAIL.exec(line);
    if (fail) {
      close();
      current = { name: fail[1], error: [], inFrame: false };
      continue;
    }
    if (!current) continue;
    if (SEPARATOR.test(line)) {
      close();
      continue;
    }
    // the message ends where vitest's pointer to the source starts
    if (STACK.test(line) || FRAME.test(line)) current.inFrame = true;
    if (!current.inFrame) current.error.push(line.replace(/\s+$/, ''));
  }
  close();
  return out;
}

/** The npm script that started last (`> pkg@1.0.0 test:fleet`): where a failure without test names happened. */
export function lastScript(log: string): string | undefined {
  let name: string | undefined;
  for (const line of stripAnsi(log).split('\n')) {
    const m = /^> \S+@\S+ (\S+)\s*$/.exec(line);
    if (m && m[1] !== 'build') name = m[1];
  }
  return name;
}

/** The first and last lines of a long message, with a count of what was left out between. */
export function shorten(lines: readonly string[], head = HEAD_LINES, tail = TAIL_LINES): string[] {
  if (lines.length <= head + tail + 1) return [...lines];
  return [...lines.slice(0, head), `… ${lines.length - head - tail} lines …`, ...lines.slice(-tail)];
}

export function summary(log: string, exitCode: string): string[] {
  const script = lastScript(log);
  const out = [`[.ci/run] the test command failed (exit ${exitCode})${script ? `; the last script it started: ${script}` : ''}`];
  // the same test may be listed twice (a test and its hook); name each once
  const all = failures(log);
  const names = [...new Set(all.map((f) => f.name))];
  if (!names.length) {
    out.push('[.ci/run] no failed test is listed in the output: the step failed outside a test (its last lines are above)');
    return out;
  }
  out.push(`[.ci/run] ${names.length} failed test${names.length === 1 ? '' : 's'}, in the order vitest listed them:`);
  for (const n of names.slice(0, MAX_NAMES)) out.push(`  ${n}`);
  if (names.length > MAX_NAMES) out.push(`  … and ${names.length - MAX_NAMES} more`);
  out.push(`[.ci/run] the first failure, often the cause of the rest: ${all[0].name}`);
  for (const l of shorten(all[0].error)) out.push(`  ${l}`);
  return out;
}

function main(argv: string[]): number {
  const [file, code] = argv;
  if (!file) {
    process.stderr.write('usage: node dist/scripts/ci-failures.js LOG EXIT_CODE\n');
    return 2;
  }
  let log: string;
  try {
    log = fs.readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`ci-failures: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${summary(log, code ?? '?').join('\n')}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
