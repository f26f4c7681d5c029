/**
 * `npm run test:mutation:sample [-- FRACTION [SEED]]`: an estimate of the mutation score of the
 * files of lib/ and constructs/ that no chunk has measured yet (scripts/mutation-score.ts), from a
 * random sample of their lines, when the full run is more hours than there are (README, "Mutation
 * testing"). Each line of code is picked with probability FRACTION (default 0.15) by a seeded
 * generator, so a seed names one sample; Stryker mutates only the picked lines; the score of the
 * sample, with a 95 % interval from resampling its lines (mutants of one line stand or fall
 * together more often than not, so the line, not the mutant, is the unit), stands for the rest.
 * The sample's report is kept apart (samples/), never as a chunk: a file it touched is not measured.
 *
 *   node dist/scripts/mutation-sample.js --pick FRACTION SEED     the --mutate patterns
 *   node dist/scripts/mutation-sample.js --estimate REPORT PATTERNS   the estimate (PATTERNS: --pick's output, in a file)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { countMutants, currentResults, detectedCount, keptReports, mutatedFiles, score, validCount, type FileScore, type Report } from './mutation-score';

/** mulberry32: a small seeded generator, the same numbers on every machine. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lines that can hold a mutant: not blank, not only a comment, an import, a brace or a type. */
export function codeLines(text: string): number[] {
  const out: number[] = [];
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (!t || /^(\/\/|\/\*|\*|import\s|export\s+(type|interface)\s|[{}()[\];,]+$)/.test(t)) return;
    out.push(i + 1);
  });
  return out;
}

/** The picked lines of each file, files in name order: every code line with probability `fraction`. */
export function pickLines(files: ReadonlyMap<string, string>, fraction: number, seed: number): Map<string, number[]> {
  const next = random(seed);
  const out = new Map<string, number[]>();
  for (const file of [...files.keys()].sort()) {
    const lines = codeLines(files.get(file)!).filter(() => next() < fraction);
    if (lines.length) out.set(file, lines);
  }
  return out;
}

/** Stryker's --mutate patterns for the picked lines (`file:L-L`, one line each). */
export const patterns = (picked: ReadonlyMap<string, number[]>): string[] => [...picked].flatMap(([f, lines]) => lines.map((l) => `${f}:${l}-${l}`));

/** The picked lines back from the patterns. */
export function fromPatterns(text: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const p of text.trim().split(',').filter(Boolean)) {
    const m = /^(.+):(\d+)-\2$/.exec(p);
    if (!m) throw new Error(`not a one-line pattern: ${p}`);
    out.set(m[1], [...(out.get(m[1]) ?? []), Number(m[2])]);
  }
  return out;
}

interface LineResult {
  readonly detected: number;
  readonly valid: number;
}

export interface Estimate {
  readonly lines: number;
  readonly counts: Omit<FileScore, 'file'>;
  readonly score: number | undefined;
  /** 95 % percentile interval over 2,000 resamples of the lines. */
  readonly low: number;
  readonly high: number;
}

/** The sample's score and interval from a Stryker report, counting only mutants of picked lines. */
export function estimate(report: Report, picked: ReadonlyMap<string, number[]>): Estimate {
  const perLine: LineResult[] = [];
  const all: { status: string }[] = [];
  for (const [file, lines] of picked) {
    const mutants = report.files[file]?.mutants ?? [];
    for (const line of lines) {
      const here = mutants.filter((m) => m.location?.start.line === line);
      all.push(...here);
      const c = countMutants(file, here);
      const valid = validCount(c);
      if (valid) perLine.push({ detected: detectedCount(c), valid });
    }
  }
  const { file: _, ...counts } = countMutants('', all);
  const next = random(0x5eed);
  const scores: number[] = [];
  for (let i = 0; i < 2000 && perLine.length; i++) {
    let d = 0;
    let v = 0;
    for (let j = 0; j < perLine.length; j++) {
      const r = perLine[Math.floor(next() * perLine.length)];
      d += r.detected;
      v += r.valid;
    }
    scores.push((100 * d) / v);
  }
  scores.sort((a, b) => a - b);
  return { lines: perLine.length, counts, score: score(counts), low: scores[Math.floor(0.025 * scores.length)] ?? NaN, high: scores[Math.floor(0.975 * scores.length)] ?? NaN };
}

function main(argv: string[]): number {
  const [mode, ...args] = argv;
  if (mode === '--pick') {
    const fraction = Number(args[0] ?? '0.15');
    const seed = Number(args[1] ?? '1');
    if (!(fraction > 0 && fraction <= 1) || !Number.isInteger(seed)) return usage();
    const root = path.resolve(__dirname, '..', '..');
    const files = mutatedFiles(root);
    const done = currentResults(files, keptReports());
    console.log(patterns(pickLines(new Map([...files].filter(([f]) => !done.has(f))), fraction, seed)).join(','));
    return 0;
  }
  if (mode === '--estimate' && args.length === 2) {
    const picked = fromPatterns(fs.readFileSync(args[1], 'utf8'));
    const e = estimate(JSON.parse(fs.readFileSync(args[0], 'utf8')) as Report, picked);
    const c = e.counts;
    console.log(`sample: ${picked.size} files, ${[...picked.values()].flat().length} lines picked, ${e.lines} with valid mutants; killed ${c.killed}, timeout ${c.timeout}, survived ${c.survived}, no coverage ${c.noCoverage}, ignored (static) ${c.ignored}`);
    console.log(`score of the sample ${e.score?.toFixed(1) ?? 'n/a'} % (95 % interval, lines resampled: ${e.low.toFixed(1)}-${e.high.toFixed(1)} %)`);
    return 0;
  }
  return usage();
}

function usage(): number {
  process.stderr.write('usage: mutation-sample --pick [FRACTION [SEED]] | --estimate REPORT PATTERNS_FILE  (FRACTION in (0, 1], default 0.15; SEED a whole number, default 1)\n');
  return 2;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
