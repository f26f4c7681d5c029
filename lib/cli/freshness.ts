/**
 * Incremental synth: the compiled JavaScript in dist/ is rebuilt only when the TypeScript it came
 * from changed. A build records a hash of every source file (bin/, lib/, constructs/, scripts/
 * *.ts, tsconfig.json, package.json) in dist/.source-hash; `stackyard` compares it on start
 * (about 10 ms for the whole tree) and runs `tsc` only when it differs. Kept free of heavy
 * imports: it runs before the program loads. Type-checking stays in `npm run typecheck`/tests.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SOURCE_DIRS = ['bin', 'lib', 'constructs', 'scripts'];
export const SOURCE_FILES = ['tsconfig.json', 'package.json'];
export const STAMP = path.join('dist', '.source-hash');

function walk(dir: string, out: string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
}

/** Hash of the sources the build compiles, by relative path and content; undefined when there are no sources (an installed package). */
export function sourceHash(root: string): string | undefined {
  const files: string[] = [];
  for (const d of SOURCE_DIRS) walk(path.join(root, d), files);
  if (!files.length) return undefined;
  for (const f of SOURCE_FILES) if (fs.existsSync(path.join(root, f))) files.push(path.join(root, f));
  const h = createHash('sha256');
  for (const f of files.sort()) {
    h.update(path.relative(root, f));
    h.update('\0');
    h.update(fs.readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

export function recordedHash(root: string): string | undefined {
  try {
    return fs.readFileSync(path.join(root, STAMP), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Whether dist/ must be rebuilt before running: the sources changed since the last build (or it never recorded one). */
export function isStale(root: string): { stale: boolean; hash?: string } {
  const hash = sourceHash(root);
  if (hash === undefined) return { stale: false };
  return { stale: recordedHash(root) !== hash, hash };
}

export function writeStamp(root: string, hash: string): void {
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(root, STAMP), hash + '\n');
}

/** The command's script in dist/ (package.json `bin`). */
export const BIN = path.join('dist', 'bin', 'stackyard.js');

/**
 * Makes the command's script executable after a build. tsc writes it 0644, and npx runs a
 * project's own bin through the link it made when it first installed that folder (cached under
 * ~/.npm/_npx by the folder's path); npm set the mode then, on that build's file. A clone made
 * again at the same path, or a rebuild that replaced the file, would otherwise fail with
 * `sh: 1: stackyard: Permission denied` (it did: 14 fleet tests in one CI run).
 */
export function markExecutable(root: string): void {
  const bin = path.join(root, BIN);
  if (fs.existsSync(bin)) fs.chmodSync(bin, fs.statSync(bin).mode | 0o111);
}

/** What every build does when tsc is done (`npm run build`, the command's own rebuild): the stamp, when there are sources, and an executable command. */
export function recordBuild(root: string, hash: string | undefined): void {
  if (hash) writeStamp(root, hash);
  markExecutable(root);
}
