/**
 * The sampled mutation score (scripts/mutation-sample.ts): which lines a seed picks (only lines of
 * code, the same ones every time, about the fraction asked), the patterns Stryker gets and reads
 * back, and the estimate: only mutants of picked lines count, and its interval holds the score.
 */
import { describe, expect, it } from 'vitest';
import { codeLines, estimate, fromPatterns, patterns, pickLines, random } from '../scripts/mutation-sample';
import type { Report } from '../scripts/mutation-score';

const TEXT = [
  '/**', ' * a comment', ' */', "import * as fs from 'node:fs';", 'export interface X {', '  readonly a: number;', '}', '',
  'export function f(a: number): number {', '  // why', '  if (a > 1) return 2;', '  return a;', '}', 'export type Y = string;', '  ]);',
].join('\n');

describe('the lines a sample picks', () => {
  it('lines of code only: no comment, import, interface or type header, blank line or lone bracket', () => {
    expect(codeLines(TEXT)).toEqual([6, 9, 11, 12]);
  });

  it('the same seed picks the same lines; another seed others; about the fraction asked', () => {
    const files = new Map(Array.from({ length: 20 }, (_, i) => [`lib/f${i}.ts`, Array.from({ length: 100 }, (_, j) => `const v${j} = ${j};`).join('\n')]));
    const a = pickLines(files, 0.2, 7);
    expect(pickLines(files, 0.2, 7)).toEqual(a);
    expect(pickLines(files, 0.2, 8)).not.toEqual(a);
    const n = [...a.values()].flat().length;
    expect(n).toBeGreaterThan(300);
    expect(n).toBeLessThan(500);
    expect([...pickLines(files, 1, 1).values()].flat()).toHaveLength(2000);
    const r = random(1);
    const xs = Array.from({ length: 1000 }, r);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it('one Stryker pattern per picked line, read back the same', () => {
    const picked = new Map([['lib/a.ts', [3, 10]], ['constructs/b.ts', [7]]]);
    expect(patterns(picked)).toEqual(['lib/a.ts:3-3', 'lib/a.ts:10-10', 'constructs/b.ts:7-7']);
    expect(fromPatterns(patterns(picked).join(',') + '\n')).toEqual(picked);
    expect(() => fromPatterns('lib/a.ts:3-5')).toThrow('not a one-line pattern: lib/a.ts:3-5');
  });
});

describe('the estimate', () => {
  const at = (line: number, status: string) => ({ status, location: { start: { line } } });
  const report = {
    files: {
      'lib/a.ts': { source: '', mutants: [at(3, 'Killed'), at(3, 'Survived'), at(4, 'Killed'), at(10, 'Timeout'), at(10, 'Ignored')] },
      'lib/b.ts': { source: '', mutants: [at(1, 'NoCoverage'), at(2, 'Killed')] },
    },
  } as unknown as Report;

  it('counts only the mutants of picked lines, with Stryker\'s score', () => {
    const e = estimate(report, new Map([['lib/a.ts', [3, 10]], ['lib/b.ts', [1]], ['lib/gone.ts', [5]]]));
    expect(e.counts).toEqual({ killed: 1, timeout: 1, survived: 1, noCoverage: 1, ignored: 1, errors: 0 });
    expect(e.score).toBe(50);
    expect(e.lines).toBe(3);
    expect(e.low).toBeLessThanOrEqual(50);
    expect(e.high).toBeGreaterThanOrEqual(50);
    expect(e.low).toBeGreaterThanOrEqual(0);
    expect(e.high).toBeLessThanOrEqual(100);
  });

  it('every sampled mutant detected: 100 % with nothing to vary', () => {
    const e = estimate(report, new Map([['lib/a.ts', [4, 10]]]));
    expect([e.score, e.low, e.high]).toEqual([100, 100, 100]);
  });
});
