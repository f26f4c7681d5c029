/**
 * `.ci/run`'s failure summary (scripts/ci-failures.ts): from a log as vitest writes it (colours
 * and all), the failed tests in order and the first one's error without its code frame, short
 * enough to be read in the tail of a CI log; a failure outside any test says so.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { failures, lastScript, shorten, stripAnsi, summary } from '../scripts/ci-failures';

const ESC = '\x1b';
const SEP = `${ESC}[31m${ESC}[2m${'⎯'.repeat(30)}[1/3]⎯${ESC}[22m${ESC}[39m`;
const fail = (file: string, ...names: string[]) => `${ESC}[41m${ESC}[1m FAIL ${ESC}[22m${ESC}[49m ${file}${names.map((n) => `${ESC}[2m > ${ESC}[22m${n}`).join('')}`;

/** The shape of stop 9's CI log: scripts, a passing suite, then the fleet suite's failures. */
function log(): string {
  return [
    '> stackyard@0.1.0 test:converge',
    '> stackyard@0.1.0 build',
    ' Test Files  1 passed (1)',
    '> stackyard@0.1.0 test:fleet',
    '> stackyard@0.1.0 build',
    ' ✓ test/fleet/homelab.fleet.ts (9 tests | 7 failed)',
    `${ESC}[31m⎯⎯⎯⎯⎯⎯ Failed Tests 3 ⎯⎯⎯⎯⎯⎯${ESC}[39m`,
    '',
    fail('test/fleet/homelab.fleet.ts', 'seed 003 on three hosts', 'passes the host checks, then deploys from empty'),
    `${ESC}[31m${ESC}[1mAssertionError${ESC}[22m: deploy output head`,
    ...Array.from({ length: 29 }, (_, i) => `deploy line ${i + 1}`),
    'FAIL core (ssh://root@10.231.0.2): ssh connection refused',
    'Error: pulling 10.231.0.2:5000/stackyard-test/ktrdr:1: no space left on device: expected 1 to be +0',
    `${ESC}[39m`,
    ` ${ESC}[36m ❯${ESC}[22m test/fleet/homelab.fleet.ts:${ESC}[2m111:20${ESC}[22m`,
    `    ${ESC}[90m111|${ESC}[39m     expect(r.code, r.output.slice(-4000)).toBe(0);`,
    `    ${ESC}[90m   |${ESC}[39m                    ^`,
    `${ESC}[90m ${ESC}[2m❯${ESC}[22m test/fleet/homelab.fleet.ts:${ESC}[2m99:3${ESC}[22m`,
    '',
    SEP,
    '',
    fail('test/fleet/homelab.fleet.ts', 'seed 003 on three hosts', 'runs every container on the host the file names'),
    'AssertionError: expected {} to deeply equal { …(15) }',
    ` ❯ test/fleet/homelab.fleet.ts:127:5`,
    SEP,
    fail('test/fleet/deploy.fleet.ts', 'the fleet environment', 'deploys from empty over ssh://'),
    'AssertionError: short',
    '',
    ' Test Files  2 failed (2)',
    '      Tests  3 failed | 13 passed (16)',
  ].join('\n');
}

describe('the CI failure summary', () => {
  it('finds every failed test in order, with its error up to the code frame, colours removed', () => {
    const f = failures(log());
    expect(f.map((x) => x.name)).toEqual([
      'test/fleet/homelab.fleet.ts > seed 003 on three hosts > passes the host checks, then deploys from empty',
      'test/fleet/homelab.fleet.ts > seed 003 on three hosts > runs every container on the host the file names',
      'test/fleet/deploy.fleet.ts > the fleet environment > deploys from empty over ssh://',
    ]);
    expect(f[0].error[0]).toBe('AssertionError: deploy output head');
    expect(f[0].error).toHaveLength(32);
    expect(f[0].error[31]).toMatch(/no space left on device/);
    expect(f[0].error[30]).toBe('FAIL core (ssh://root@10.231.0.2): ssh connection refused');
    expect(f[0].error.join('\n')).not.toMatch(/111\||❯|\x1b/);
    expect(f[1].error).toEqual(['AssertionError: expected {} to deeply equal { …(15) }']);
    // the last one ends with the log, not at a separator; the blank line and summary after it are not part of it
    expect(f[2].error[0]).toBe('AssertionError: short');
  });

  it('names the last npm script started, not the build it runs first', () => {
    expect(lastScript(log())).toBe('test:fleet');
    expect(lastScript('no scripts here')).toBeUndefined();
  });

  it('keeps the head and the tail of a long message and counts what it left out', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `l${i}`);
    expect(shorten(lines, 2, 3)).toEqual(['l0', 'l1', '… 35 lines …', 'l37', 'l38', 'l39']);
    // one line more than head + tail is kept whole: a "… 1 lines …" marker would save nothing
    expect(shorten(lines.slice(0, 6), 2, 3)).toEqual(lines.slice(0, 6));
    expect(shorten(lines.slice(0, 7), 2, 3)).toHaveLength(6);
  });

  it('prints the failed tests, then the first one\'s error with its reason, in under 40 lines', () => {
    const s = summary(log(), '1');
    expect(s[0]).toBe('[.ci/run] the test command failed (exit 1); the last script it started: test:fleet');
    expect(s[1]).toBe('[.ci/run] 3 failed tests, in the order vitest listed them:');
    expect(s[2]).toBe('  test/fleet/homelab.fleet.ts > seed 003 on three hosts > passes the host checks, then deploys from empty');
    expect(s[5]).toBe('[.ci/run] the first failure, often the cause of the rest: test/fleet/homelab.fleet.ts > seed 003 on three hosts > passes the host checks, then deploys from empty');
    expect(s[6]).toBe('  AssertionError: deploy output head');
    expect(s[s.length - 1]).toMatch(/no space left on device/);
    expect(s.length).toBeLessThan(40);
    expect(s.join('\n')).not.toMatch(/\x1b/);
  });

  it('names a test once however often it is listed, and counts the names past twenty', () => {
    const many = Array.from({ length: 25 }, (_, i) => `${fail('test/a.test.ts', `t${i}`)}\nError: e${i}\n${SEP}`).join('\n');
    const s = summary(`${fail('test/a.test.ts', 't0')}\nError: e0\n${SEP}\n${many}`, '1');
    expect(s[1]).toBe('[.ci/run] 25 failed tests, in the order vitest listed them:');
    expect(s.filter((l) => l.startsWith('  test/a.test.ts'))).toHaveLength(20);
    expect(s).toContain('  … and 5 more');
    expect(summary(`${fail('test/a.test.ts', 'only')}\nError: e\n`, '1')[1]).toBe('[.ci/run] 1 failed test, in the order vitest listed them:');
  });

  it('says when the step failed outside any test', () => {
    expect(summary('> stackyard@0.1.0 validate\nsomething broke', '2')).toEqual([
      '[.ci/run] the test command failed (exit 2); the last script it started: validate',
      '[.ci/run] no failed test is listed in the output: the step failed outside a test (its last lines are above)',
    ]);
    expect(summary('', '1')[0]).toBe('[.ci/run] the test command failed (exit 1)');
  });

  it('stripAnsi removes colour codes only', () => {
    expect(stripAnsi(`${ESC}[41m${ESC}[1m FAIL ${ESC}[22m x | y`)).toBe(' FAIL  x | y');
  });

  it('runs as .ci/run calls it; a missing log is one line on stderr, not a stack trace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-failures-'));
    const file = path.join(dir, 'log');
    fs.writeFileSync(file, log());
    const script = path.join(__dirname, '..', 'dist', 'scripts', 'ci-failures.js');
    const ok = spawnSync(process.execPath, [script, file, '1'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout.split('\n')[1]).toBe('[.ci/run] 3 failed tests, in the order vitest listed them:');
    const missing = spawnSync(process.execPath, [script, path.join(dir, 'absent'), '1'], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`ci-failures: cannot read ${path.join(dir, 'absent')}: ENOENT\n`);
    expect(spawnSync(process.execPath, [script], { encoding: 'utf8' }).status).toBe(2);
    fs.rmSync(dir, { recursive: true });
  });
});
