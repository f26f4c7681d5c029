/**
 * One error type for every user mistake in an environment file: each problem carries the
 * file, the line and column, the YAML path and a sentence saying what is wrong and what
 * is expected. The CLI prints them one per line and exits non-zero, without a stack trace.
 */
export interface Position {
  /** File path as the user named it (relative to the working directory where possible). */
  readonly file: string;
  /** 1-based line, or 0 when the problem is about the whole file. */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;
}

export interface Problem extends Position {
  /** Dotted YAML path, e.g. `services.backend.replicas`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[]) {
    const sorted = [...problems].sort(compareProblems);
    super(sorted.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = sorted;
  }
}

export function formatProblem(p: Problem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  return p.path ? `${where} ${p.path}: ${p.message}` : `${where} ${p.message}`;
}

/** File, line, column, path, message: the order problems are printed in. */
export function compareProblems(a: Problem, b: Problem): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.path.localeCompare(b.path) || a.message.localeCompare(b.message);
}

/** Formats a YAML path array as `services.backend.ports.0`. */
export function pathToString(path: readonly (string | number)[]): string {
  return path.map(String).join('.');
}

/** Closest candidate by edit distance, for "did you mean" hints on typos. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
