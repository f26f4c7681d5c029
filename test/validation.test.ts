/** The validation pipeline (lib/validation.ts): named rules, run once, errors and warnings apart. */
import { describe, expect, it } from 'vitest';
import { FILE_RULES } from '../lib/file-rules';
import { MODEL_RULES } from '../lib/invariants';
import { errorsOf, runRules, warningsOf, type Rule } from '../lib/validation';
import { buildApp } from '../lib/app';
import { MINIMAL, writeFiles } from './helpers';
import * as path from 'node:path';

describe('the validation pipeline', () => {
  it('every rule has a unique kebab-case name and says what it checks', () => {
    const names = [...FILE_RULES, ...MODEL_RULES].map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of [...FILE_RULES, ...MODEL_RULES]) {
      expect(r.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(r.what.length).toBeGreaterThan(10);
    }
  });

  it('runs rules in order; each finding carries its rule, severity (error by default) and position', () => {
    const rules: Rule<number, string>[] = [
      { name: 'first', what: 'reports twice', check: (n, report) => { report('a', `n=${n}`); report('b', 'odd', 'warning'); } },
      { name: 'second', what: 'reports once', check: (_n, report) => report('c', 'late') },
    ];
    const found = runRules(rules, 7, (w) => ({ file: 'f.yaml', line: w.charCodeAt(0) - 96, col: 1, path: w }));
    expect(found).toEqual([
      { file: 'f.yaml', line: 1, col: 1, path: 'a', message: 'n=7', rule: 'first', severity: 'error' },
      { file: 'f.yaml', line: 2, col: 1, path: 'b', message: 'odd', rule: 'first', severity: 'warning' },
      { file: 'f.yaml', line: 3, col: 1, path: 'c', message: 'late', rule: 'second', severity: 'error' },
    ]);
    expect(errorsOf(found).map((f) => f.path)).toEqual(['a', 'c']);
    expect(warningsOf(found).map((f) => f.path)).toEqual(['b']);
  });

  it('the model rules run once for a file: cdktf validation at synth does not run them again', () => {
    const dir = writeFiles({ 'env.yaml': MINIMAL });
    const { stacks } = buildApp([path.join(dir, 'env.yaml')], path.join(dir, 'out'));
    // a problem made after the model rules ran is not reported a second time by cdktf's validation
    stacks[0].wiringProblems.push({ file: 'x', line: 1, col: 1, path: '', message: 'late' });
    expect(stacks[0].node.validate()).toEqual([]);
  });
});
