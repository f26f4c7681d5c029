/**
 * The mutation score kept across chunked Stryker runs (scripts/mutation-score.ts): which report
 * counts for a file (the newest holding its current text), what the score counts, which files the
 * chunk runner does next, that a chunk's mutant-free files count as measured, and the tracked
 * ledger that keeps the results when the reports folder is gone.
 */
import { describe, expect, it } from 'vitest';
import { countMutants, currentResults, LEDGER, ledgerEntry, mutatedFiles, readLedger, renderTable, score, sha256, todo, updateLedger, withChunkFiles, type Report } from '../scripts/mutation-score';
import * as fs from 'node:fs';
import * as path from 'node:path';

const m = (status: string) => ({ status });
const files = new Map([['lib/a.ts', 'A2'], ['lib/b.ts', 'B1'], ['constructs/c.ts', 'C1 longer']]);

describe('mutation score across chunks', () => {
  it('a file counts from the newest report that holds its current text; an older text does not count', () => {
    const old: Report = { files: { 'lib/a.ts': { source: 'A1', mutants: [m('Survived')] }, 'lib/b.ts': { source: 'B1', mutants: [m('Survived')] } } };
    const newer: Report = { files: { 'lib/a.ts': { source: 'A2', mutants: [m('Killed'), m('Survived')] }, 'lib/b.ts': { source: 'B1', mutants: [m('Killed')] } } };
    const stale: Report = { files: { 'lib/a.ts': { source: 'A1', mutants: [m('Killed')] } } };
    const done = currentResults(files, [old, newer, stale]);
    expect(done.get('lib/a.ts')).toMatchObject({ killed: 1, survived: 1 });
    expect(done.get('lib/b.ts')).toMatchObject({ killed: 1, survived: 0 }); // the newer of two current reports
    expect(done.has('constructs/c.ts')).toBe(false);
    expect(currentResults(files, [stale]).size).toBe(0);
  });

  it('the score is Stryker\'s: killed and timed out over those plus survived and not covered; ignored and errors apart', () => {
    const c = countMutants('x', ['Killed', 'Killed', 'Timeout', 'Survived', 'NoCoverage', 'Ignored', 'CompileError', 'RuntimeError'].map(m));
    expect(c).toEqual({ file: 'x', killed: 2, timeout: 1, survived: 1, noCoverage: 1, ignored: 1, errors: 2 });
    expect(score(c)).toBe(60);
    expect(score(countMutants('y', [m('Ignored')]))).toBeUndefined();
  });

  it('the next chunk: files without a current result, smallest first, at most N', () => {
    const done = currentResults(files, [{ files: { 'lib/b.ts': { source: 'B1', mutants: [] } } }]);
    expect(todo(files, done, 1)).toEqual(['lib/a.ts']);
    expect(todo(files, done, 5)).toEqual(['lib/a.ts', 'constructs/c.ts']);
    expect(todo(files, currentResults(files, [{ files: Object.fromEntries([...files].map(([f, s]) => [f, { source: s, mutants: [] }])) }]), 5)).toEqual([]);
  });

  it('a chunk\'s report keeps the chunk\'s files only; a chunk file Stryker left out (no mutant in it) is kept as measured with nothing to count', () => {
    // constructs/c.ts rode along in Stryker's report (its incremental state), results of an older run: not kept
    const kept = withChunkFiles({ files: { 'lib/a.ts': { source: 'A2', mutants: [m('Killed')] }, 'constructs/c.ts': { source: 'C1 longer', mutants: [m('Killed')] } } }, ['lib/a.ts', 'lib/b.ts', 'lib/gone.ts'], files);
    expect(Object.keys(kept.files).sort()).toEqual(['lib/a.ts', 'lib/b.ts']);
    expect(kept.files['lib/b.ts']).toEqual({ source: 'B1', mutants: [] });
    expect(todo(files, currentResults(files, [kept]), 5)).toEqual(['constructs/c.ts']);
  });

  it('the table names every measured file, the total over them, and what is still unmeasured', () => {
    const done = currentResults(files, [{ files: { 'lib/a.ts': { source: 'A2', mutants: [m('Killed'), m('Killed'), m('Killed'), m('Survived')] } } }]);
    const t = renderTable(files, done);
    expect(t).toContain('| `lib/a.ts` | 3 | 0 | 1 | 0 | 0 | 75.0 % |');
    expect(t).toContain('| **measured: 1 of 3 files** | 3 | 0 | 1 | 0 | 0 | **75.0 %** |');
    expect(t).toContain('not measured yet (2): lib/b.ts, constructs/c.ts');
  });

  it('the files are those stryker.config.mjs mutates: lib/ and constructs/ TypeScript without lib/trace-capture.ts', () => {
    const all = mutatedFiles(path.resolve(__dirname, '..'));
    expect(all.has('lib/service.ts')).toBe(true);
    expect(all.has('constructs/postgres.ts')).toBe(true);
    expect(all.has('lib/trace-capture.ts')).toBe(false);
    expect([...all.keys()].every((f) => /^(lib|constructs)\/.+\.ts$/.test(f))).toBe(true);
  });

  it('the ledger keeps each file\'s counts and where its survivors are, by the hash of the text measured', () => {
    const at = (status: string, line: number, column: number, mutatorName: string, replacement: string) => ({ status, location: { start: { line, column } }, mutatorName, replacement });
    const e = ledgerEntry({ source: 'A2', mutants: [
      at('Survived', 9, 3, 'ConditionalExpression', 'true'),
      at('Killed', 1, 1, 'StringLiteral', '""'),
      at('NoCoverage', 2, 14, 'BlockStatement', `{\n  ${'x'.repeat(80)}\n}`),
      at('Survived', 2, 5, 'EqualityOperator', 'a  <=  b'),
      at('Ignored', 3, 1, 'StringLiteral', '""'),
      { ...at('Survived', 4, 2, 'ArrowFunction', '() => undefined'), static: true },
      { ...at('NoCoverage', 5, 1, 'StringLiteral', '""'), static: true },
    ] });
    expect(e.sha256).toBe(sha256('A2'));
    expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect([e.killed, e.survived, e.noCoverage, e.ignored]).toEqual([1, 3, 2, 1]);
    // in source order; white space folded; a long replacement cut; static ones marked
    expect(e.survivors).toEqual([
      '2:5 EqualityOperator: a <= b',
      `2:14 BlockStatement (no coverage): { ${'x'.repeat(58)}…`,
      '4:2 ArrowFunction (static): () => undefined', // also run outside a test: its result is not to be trusted
      '5:1 StringLiteral (no coverage, static): ""',
      '9:3 ConditionalExpression: true',
    ]);
  });

  it('a file counts from the ledger while its text is the one measured; a newer report wins; the merge replaces and sorts', () => {
    const then = new Map([...files, ['lib/a.ts', 'A1']]);
    const first = updateLedger({ files: {} }, { files: { 'lib/b.ts': { source: 'B1', mutants: [m('Killed'), m('Survived')] }, 'lib/a.ts': { source: 'A1', mutants: [m('Killed')] } } }, then);
    expect(Object.keys(first.files)).toEqual(['lib/a.ts', 'lib/b.ts']);
    // lib/a.ts was measured on A1, it is A2 now: not counted
    const done = currentResults(files, [], first);
    expect([...done.keys()]).toEqual(['lib/b.ts']);
    // a report's result for a text that is no longer the file's is not written over a current entry
    const current = updateLedger({ files: {} }, { files: { 'lib/a.ts': { source: 'A2', mutants: [m('Killed')] } } }, files);
    expect(updateLedger(current, { files: { 'lib/a.ts': { source: 'A1', mutants: [m('Survived')] } } }, files)).toEqual(current);
    expect(done.get('lib/b.ts')).toEqual({ file: 'lib/b.ts', killed: 1, timeout: 0, survived: 1, noCoverage: 0, ignored: 0, errors: 0 });
    expect(currentResults(files, [{ files: { 'lib/b.ts': { source: 'B1', mutants: [m('Killed'), m('Killed')] } } }], first).get('lib/b.ts')).toMatchObject({ killed: 2, survived: 0 });
    const second = updateLedger(first, { files: { 'lib/a.ts': { source: 'A2', mutants: [m('Timeout')] } } }, files);
    expect(second.files['lib/b.ts']).toEqual(first.files['lib/b.ts']);
    expect(currentResults(files, [], second).get('lib/a.ts')).toMatchObject({ timeout: 1 });
    expect(readLedger(path.join(__dirname, 'no-such-ledger.json'))).toEqual({ files: {} });
  });

  it('a focused run\'s results say which tests ran, in the ledger and the table; they never replace a whole-suite result for the same text', () => {
    const focused: Report = { tests: ['test/x.test.ts', 'test/y.test.ts'], files: { 'lib/a.ts': { source: 'A2', mutants: [m('Killed'), m('Survived')] }, 'lib/b.ts': { source: 'B1', mutants: [m('Killed')] } } };
    const whole: Report = { files: { 'lib/b.ts': { source: 'B1', mutants: [m('Killed'), m('Killed')] } } };
    const ledger = updateLedger(updateLedger({ files: {} }, whole, files), focused, files);
    expect(ledger.files['lib/a.ts']).toMatchObject({ killed: 1, survived: 1, tests: ['test/x.test.ts', 'test/y.test.ts'] });
    expect(ledger.files['lib/b.ts']).toEqual(ledgerEntry(whole.files['lib/b.ts']));
    expect(ledger.files['lib/b.ts']).not.toHaveProperty('tests');
    // a whole-suite result replaces a focused one; a focused result replaces an older text's entry
    expect(updateLedger(ledger, { files: { 'lib/a.ts': { source: 'A2', mutants: [m('Killed')] } } }, files).files['lib/a.ts']).not.toHaveProperty('tests');
    expect(updateLedger(updateLedger({ files: {} }, whole, new Map([['lib/b.ts', 'B0']])), focused, files).files['lib/b.ts']).toMatchObject({ tests: ['test/x.test.ts', 'test/y.test.ts'] });
    // reports: a focused report after a whole one for the same text does not count over it
    const done = currentResults(files, [whole, focused]);
    expect(done.get('lib/b.ts')).toEqual({ file: 'lib/b.ts', killed: 2, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 });
    expect(done.get('lib/a.ts')).toMatchObject({ killed: 1, tests: ['test/x.test.ts', 'test/y.test.ts'] });
    expect(currentResults(files, [], ledger).get('lib/a.ts')).toMatchObject({ tests: ['test/x.test.ts', 'test/y.test.ts'] });
    const t = renderTable(files, done);
    expect(t).toContain('| `lib/a.ts` (focused: 2 test files) | 1 | 0 | 1 | 0 | 0 | 50.0 % |');
    expect(t).toContain('| `lib/b.ts` | 2 |');
    expect(t).toContain('focused (1): measured with only the test files the ledger names for them');
    expect(renderTable(files, currentResults(files, [whole]))).not.toContain('focused');
  });

  it('the tracked ledger names only files that are mutated, each with its counts consistent', () => {
    const root = path.resolve(__dirname, '..');
    const ledger = readLedger(path.join(root, LEDGER));
    const all = mutatedFiles(root);
    for (const [f, e] of Object.entries(ledger.files)) {
      expect(all.has(f), f).toBe(true);
      expect(e.survivors.length, f).toBe(e.survived + e.noCoverage);
    }
  });
});

describe('the security-relevant run (stryker.security.config.mjs)', () => {
  const root = path.resolve(__dirname, '..');
  /** The text of each `file:a-b` range the run mutates. */
  const ranges = async () => {
    const { default: config } = await import('../stryker.security.config.mjs');
    return (config.mutate as string[]).filter((m) => /:\d+-\d+$/.test(m)).map((m) => {
      const [, file, a, b] = /^(.+):(\d+)-(\d+)$/.exec(m)!;
      return { file, text: fs.readFileSync(path.join(root, file), 'utf8').split('\n').slice(Number(a) - 1, Number(b)).join('\n') };
    });
  };

  it('mutates the checks themselves, wherever they moved: destroy protection, literal secrets, declared secrets kept out of env:', async () => {
    const r = await ranges();
    const of = (file: string) => r.filter((x) => x.file === file).map((x) => x.text).join('\n');
    expect(of('lib/docker/render.ts')).toMatch(/process\.env\[DESTROY_DATA_VARIABLE\] !== env/);
    expect(of('lib/docker/render.ts')).toMatch(/preventDestroy: true/);
    expect(of('lib/file-rules.ts')).toContain('for (const p of secretValueProblems(ctx.config))');
    expect(of('lib/file-rules.ts')).toContain('is a declared secret; list it under');
    expect(of('lib/file-rules.ts')).toContain('if (ctx.config.secrets.includes(k)) yield');
    expect(r.every((x) => x.text.split('\n').length <= 12)).toBe(true); // a check, not half a file
  });

  it('a check whose text is gone stops the run, naming it', async () => {
    const { lines } = await import('../stryker.security.config.mjs');
    expect(lines('lib/docker/render.ts', 'lifecycle: protect ?')).toMatch(/^lib\/docker\/render\.ts:(\d+)-\1$/);
    expect(() => lines('lib/docker/render.ts', 'no such line anywhere')).toThrow(/lib\/docker\/render\.ts has no line with "no such line anywhere"; point the range at the check again/);
    expect(() => lines('lib/docker/render.ts', 'const protect', 'no such end')).toThrow(/has no line with "no such end"/);
  });
});
