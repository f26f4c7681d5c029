/**
 * `npm run test:mutation:score`: the mutation score of lib/ and constructs/ from the Stryker JSON
 * reports kept in /var/tmp/stackyard/stryker/reports/ (README, "Mutation testing"). A full run
 * takes hours on two cores, so it runs in chunks (`npm run test:mutation:chunks`), each chunk's
 * report kept; a file counts from the newest report whose copy of it is the file as it is now
 * (Stryker puts each mutated file's source in its report), so a change to a file makes it
 * unmeasured again. Prints one row per file and the score of everything measured.
 *
 *   node dist/scripts/mutation-score.js [--reports DIR] [--todo N]
 *
 * --todo N prints, comma-separated, up to N files with no current result, smallest first, for
 * the chunk runner; nothing when every file is measured.
 * --record REPORT FILES keeps a chunk's Stryker report in the reports folder, with an empty entry
 * for each file of the chunk that has no mutant at all (Stryker leaves such a file out), so it
 * counts as measured, and writes each file's counts and survivors to the ledger.
 * --tests TESTS (with --record): the chunk ran only these test files (the focused run,
 * stryker.focused.config.mjs); its results say so wherever they are counted, as a lower bound.
 *
 * The ledger (test/mutation-ledger.json, tracked) is what outlives the machine: the reports
 * folder is a cache outside the clone and a new machine starts without it. Per file it holds the
 * SHA-256 of the text that was measured, the counts and where each surviving or uncovered mutant
 * is; a file counts from it while its text is unchanged, as from a report.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPORTS = '/var/tmp/stackyard/stryker/reports';

interface ReportMutant {
  readonly status: string;
  readonly static?: boolean;
  readonly mutatorName?: string;
  readonly replacement?: string;
  readonly location?: { readonly start: { readonly line: number; readonly column?: number } };
}
interface ReportFile {
  readonly source: string;
  readonly mutants: readonly ReportMutant[];
}
export interface Report {
  readonly files: Readonly<Record<string, ReportFile>>;
  /** The test files a focused run ran (absent: the whole fast suite). */
  readonly tests?: readonly string[];
}

export interface FileScore {
  readonly file: string;
  readonly killed: number;
  readonly timeout: number;
  readonly survived: number;
  readonly noCoverage: number;
  readonly ignored: number;
  readonly errors: number;
  /** The test files of a focused run; absent when the whole fast suite ran. */
  readonly tests?: readonly string[];
}

/** Stryker's score: detected (killed, timed out) over valid mutants (detected, survived, not covered). */
export function score(s: Omit<FileScore, 'file' | 'tests'>): number | undefined {
  const valid = validCount(s);
  return valid ? (100 * detectedCount(s)) / valid : undefined;
}

/** Mutants a test detected: killed or timed out. */
export const detectedCount = (s: Omit<FileScore, 'file' | 'tests'>): number => s.killed + s.timeout;
/** Mutants the score counts: detected, survived or not covered. */
export const validCount = (s: Omit<FileScore, 'file' | 'tests'>): number => detectedCount(s) + s.survived + s.noCoverage;

export function countMutants(file: string, mutants: readonly ReportMutant[]): FileScore {
  const c = { file, killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 };
  for (const m of mutants) {
    if (m.status === 'Killed') c.killed++;
    else if (m.status === 'Timeout') c.timeout++;
    else if (m.status === 'Survived') c.survived++;
    else if (m.status === 'NoCoverage') c.noCoverage++;
    else if (m.status === 'Ignored') c.ignored++;
    else c.errors++; // CompileError, RuntimeError, Pending: not part of the score
  }
  return c;
}

/** The ledger's entry of one file: the text measured (by hash), its counts, its surviving and uncovered mutants. */
export interface LedgerEntry extends Omit<FileScore, 'file'> {
  readonly sha256: string;
  /**
   * `line:column Mutator: replacement` of each survived or not covered mutant, in source order,
   * `(static)` after the mutator when code ran outside any test (while a test file was collected
   * or loaded) also runs it: under the vitest runner such a mutant's activation does not take, so
   * its "survived" says nothing (README, "Mutation testing"); build that input in a test instead.
   */
  readonly survivors: readonly string[];
}
export interface Ledger {
  readonly files: Readonly<Record<string, LedgerEntry>>;
}

export const LEDGER = 'test/mutation-ledger.json';
/** A replacement longer than this is cut in the ledger (the line and column find the rest). */
export const REPLACEMENT_CHARS = 60;

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export function ledgerEntry(body: ReportFile, tests?: readonly string[]): LedgerEntry {
  const { file: _file, ...counts } = countMutants('', body.mutants);
  const where = (m: ReportMutant) => [m.location?.start.line ?? 0, m.location?.start.column ?? 0];
  const survivors = body.mutants
    .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
    .sort((a, b) => where(a)[0] - where(b)[0] || where(a)[1] - where(b)[1] || (a.mutatorName ?? '').localeCompare(b.mutatorName ?? ''))
    .map((m) => {
      const r = (m.replacement ?? '').replace(/\s+/g, ' ');
      const cut = r.length > REPLACEMENT_CHARS ? `${r.slice(0, REPLACEMENT_CHARS)}…` : r;
      const notes = [m.status === 'NoCoverage' ? 'no coverage' : '', m.static ? 'static' : ''].filter(Boolean);
      return `${where(m).join(':')} ${m.mutatorName ?? '?'}${notes.length ? ` (${notes.join(', ')})` : ''}: ${cut}`;
    });
  return { sha256: sha256(body.source), ...counts, ...(tests ? { tests } : {}), survivors };
}

/** Whether a result held for a file's current text, measured under the whole suite, is kept over a focused result (`tests`). */
const wholeOverFocused = (held: { readonly tests?: readonly string[] } | undefined, tests: readonly string[] | undefined): boolean =>
  tests !== undefined && held !== undefined && held.tests === undefined;

/**
 * The ledger with the report's files put in (replacing their earlier entries), files in name
 * order. Only files whose text in the report is their text now (`files`): a report can carry
 * results Stryker reused for an older text, which must not replace a current entry. A focused
 * result does not replace one of the whole suite for the same text (it counts fewer tests).
 */
export function updateLedger(ledger: Ledger, report: Report, files: ReadonlyMap<string, string>): Ledger {
  const merged: Record<string, LedgerEntry> = { ...ledger.files };
  for (const [file, body] of Object.entries(report.files ?? {})) if (files.get(file) === body.source && !wholeOverFocused(merged[file]?.sha256 === sha256(body.source) ? merged[file] : undefined, report.tests)) merged[file] = ledgerEntry(body, report.tests);
  return { files: Object.fromEntries(Object.keys(merged).sort().map((f) => [f, merged[f]])) };
}

export function readLedger(file: string): Ledger {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Ledger) : { files: {} };
}

/**
 * Per file, the result of the newest report (reports in the order given, oldest first) that
 * holds the file with exactly its current text, or else the ledger's while it was measured on
 * that text; files with neither are absent. A focused result (fewer tests) never replaces one of
 * the whole suite for the same text.
 */
export function currentResults(files: ReadonlyMap<string, string>, reports: readonly Report[], ledger: Ledger = { files: {} }): Map<string, FileScore> {
  const out = new Map<string, FileScore>();
  for (const [file, e] of Object.entries(ledger.files)) {
    const text = files.get(file);
    if (text !== undefined && sha256(text) === e.sha256) {
      out.set(file, { file, killed: e.killed, timeout: e.timeout, survived: e.survived, noCoverage: e.noCoverage, ignored: e.ignored, errors: e.errors, ...(e.tests ? { tests: e.tests } : {}) });
    }
  }
  for (const r of reports) {
    for (const [file, body] of Object.entries(r.files ?? {})) {
      if (files.get(file) === body.source && !wholeOverFocused(out.get(file), r.tests)) out.set(file, { ...countMutants(file, body.mutants), ...(r.tests ? { tests: r.tests } : {}) });
    }
  }
  return out;
}

/**
 * Up to n files without a current result, smallest first (size is a fair stand-in for the mutant
 * count): short chunks first, so a run stopped early keeps the most measured; the largest files
 * come last, each a chunk of its own.
 */
export function todo(files: ReadonlyMap<string, string>, done: ReadonlyMap<string, FileScore>, n: number): string[] {
  return [...files].filter(([f]) => !done.has(f)).sort((a, b) => a[1].length - b[1].length || a[0].localeCompare(b[0])).slice(0, n).map(([f]) => f);
}

/** The files the full run mutates (stryker.config.mjs): lib/ and constructs/ TypeScript but lib/trace-capture.ts. */
export function mutatedFiles(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && rel !== 'lib/trace-capture.ts') out.set(rel, fs.readFileSync(path.join(root, rel), 'utf8'));
    }
  };
  walk('lib');
  walk('constructs');
  return out;
}

export function renderTable(files: ReadonlyMap<string, string>, done: ReadonlyMap<string, FileScore>): string {
  const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(1)} %`);
  const rows = [...done.values()].sort((a, b) => a.file.localeCompare(b.file));
  const total = rows.reduce((t, r) => ({ killed: t.killed + r.killed, timeout: t.timeout + r.timeout, survived: t.survived + r.survived, noCoverage: t.noCoverage + r.noCoverage, ignored: t.ignored + r.ignored, errors: t.errors + r.errors }), { killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 });
  const lines = [
    '| file | killed | timeout | survived | no coverage | ignored (static) | score |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| \`${r.file}\`${r.tests ? ` (focused: ${r.tests.length} test files)` : ''} | ${r.killed} | ${r.timeout} | ${r.survived} | ${r.noCoverage} | ${r.ignored} | ${pct(score(r))} |`),
    `| **measured: ${rows.length} of ${files.size} files** | ${total.killed} | ${total.timeout} | ${total.survived} | ${total.noCoverage} | ${total.ignored} | **${pct(score(total))}** |`,
  ];
  const focused = rows.filter((r) => r.tests).length;
  if (focused) lines.push('', `focused (${focused}): measured with only the test files the ledger names for them (npm run test:mutation:focused), a lower bound of their score under the whole fast suite`);
  const missing = [...files.keys()].filter((f) => !done.has(f));
  if (missing.length) lines.push('', `not measured yet (${missing.length}): ${missing.join(', ')}`);
  return lines.join('\n');
}

/** The kept reports, oldest first (a newer report of the same file text wins). */
export function keptReports(dir: string = REPORTS): Report[] {
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  return names
    .map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => a.t - b.t || a.f.localeCompare(b.f))
    .map(({ f }) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Report);
}

/**
 * A chunk's report as kept: the chunk's files only, those without mutants empty. Stryker's report
 * also carries every other file of its incremental state with its current source but the results
 * of its last run, mapped onto the new text: a file edited since then would count with mutants of
 * code it no longer has (found in session 15), so only what the chunk ran is kept.
 */
export function withChunkFiles(report: Report, chunk: readonly string[], files: ReadonlyMap<string, string>): Report {
  const out: Record<string, ReportFile> = {};
  for (const f of chunk) if (files.has(f)) out[f] = report.files?.[f] ?? { source: files.get(f)!, mutants: [] };
  return { ...report, files: out };
}

function main(argv: string[]): number {
  const root = path.resolve(__dirname, '..', '..');
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dir = arg('--reports') ?? REPORTS;
  const ledgerFile = path.join(root, LEDGER);
  const files = mutatedFiles(root);
  const record = arg('--record');
  if (record !== undefined) {
    const chunk = (argv[argv.indexOf('--record') + 2] ?? '').split(',').filter(Boolean);
    const tests = arg('--tests')?.split(',').map((t) => t.trim()).filter(Boolean).sort();
    if (argv.includes('--tests') && !tests?.length) {
      process.stderr.write('--tests needs the test files the run ran, comma-separated\n');
      return 2;
    }
    const report = JSON.parse(fs.readFileSync(record, 'utf8')) as Report;
    const kept = withChunkFiles(tests ? { ...report, tests } : report, chunk, files);
    fs.mkdirSync(dir, { recursive: true });
    const name = path.join(dir, `chunk-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(name, JSON.stringify(kept));
    fs.writeFileSync(ledgerFile, `${JSON.stringify(updateLedger(readLedger(ledgerFile), kept, files), null, 1)}\n`);
    console.log(`kept ${path.basename(name)}: ${Object.keys(kept.files).length} files; ${LEDGER} updated`);
    return 0;
  }
  // the kept reports (each a megabyte or so) are read only here, not to record one more
  const done = currentResults(files, keptReports(dir), readLedger(ledgerFile));
  const n = arg('--todo');
  if (n !== undefined) {
    const count = Number(n);
    if (!Number.isInteger(count) || count < 1) {
      process.stderr.write('--todo needs a whole number of files, e.g. --todo 4\n');
      return 2;
    }
    const next = todo(files, done, count);
    if (next.length) console.log(next.join(','));
    return 0;
  }
  console.log(renderTable(files, done));
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
