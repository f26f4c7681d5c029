/**
 * A pull request's environment files, taken from its head commit as git blobs (data, never a
 * checkout: no hook, no symlink, no script of the pull request runs or is even written as such).
 * Only regular `.yaml`/`.yml` blobs, each size-limited, under `environments/`, plus the files
 * their `extends:` chains name, which must resolve inside the repository tree. A file whose
 * chain leaves the tree (absolute, `..` above the root, a symlink, a missing file) is not written
 * at all, so the loader, which resolves `extends` again, can only ever read extracted files.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseYamlFile } from '../config/yaml-source';

export const MAX_FILE_BYTES = 256 * 1024;
export const MAX_FILES = 200;

export interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly size: number;
  /** Path in the repository, `/`-separated. */
  readonly path: string;
}

export interface GitReader {
  /** Every entry under `dir` (recursive) at the commit, plus exactly `file` when asked for one. */
  list(commit: string, pathspec: string): TreeEntry[];
  blob(commit: string, file: string): Buffer;
}

/** Reads a local repository with git plumbing (no checkout, no hooks). */
export function gitReader(gitDir: string): GitReader {
  const git = (args: string[]) => execFileSync('git', ['--git-dir', gitDir, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return {
    list(commit, pathspec) {
      const out = git(['ls-tree', '-r', '-l', '-z', '--full-tree', commit, '--', pathspec]).toString('utf8');
      return out.split('\0').filter(Boolean).map((line) => {
        const tab = line.indexOf('\t');
        const [mode, type, , size] = line.slice(0, tab).split(/\s+/);
        return { mode, type, size: Number(size), path: line.slice(tab + 1) };
      });
    },
    blob(commit, file) {
      return git(['cat-file', 'blob', `${commit}:${file}`]);
    },
  };
}

export interface Extracted {
  /** Repository paths written under the output folder. */
  readonly written: string[];
  /** Files left out, with the reason (a sentence each). */
  readonly refused: { file: string; reason: string }[];
}

/** Checks a repository-relative path: `/`-separated, inside the tree, plain characters. */
export function insideRepository(p: string): boolean {
  if (!/^[A-Za-z0-9._/-]+$/.test(p) || p.startsWith('/')) return false;
  const norm = path.posix.normalize(p);
  return norm === p && !norm.startsWith('../') && norm !== '..' && norm !== '.';
}

export function extractEnvironments(git: GitReader, commit: string, outDir: string, dir = 'environments'): Extracted {
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error('commit must be a full 40-hex SHA');
  const refused: { file: string; reason: string }[] = [];
  const entries = new Map<string, TreeEntry>();
  const regular = (e: TreeEntry) => e.type === 'blob' && (e.mode === '100644' || e.mode === '100755');
  const describe = (e: TreeEntry | undefined) => (!e ? 'does not exist in the pull request' : e.mode === '120000' ? 'is a symbolic link' : !regular(e) ? 'is not a regular file' : e.size > MAX_FILE_BYTES ? `is larger than ${MAX_FILE_BYTES} bytes` : undefined);
  const lookup = (file: string): TreeEntry | undefined => {
    if (!entries.has(file)) {
      const found = git.list(commit, file).find((e) => e.path === file);
      if (found) entries.set(file, found);
    }
    return entries.get(file);
  };
  for (const e of git.list(commit, dir)) entries.set(e.path, e);
  const roots = [...entries.values()].filter((e) => /\.ya?ml$/.test(e.path) && path.posix.dirname(e.path) === dir).map((e) => e.path).sort();
  if (roots.length > MAX_FILES) throw new Error(`the pull request has ${roots.length} environment files; at most ${MAX_FILES} are read`);

  const staged = new Map<string, Buffer>();
  // why a file cannot be used; undefined when it and its whole extends chain are inside the tree
  const verdict = new Map<string, string | undefined>();
  const check = (file: string, chain: string[]): string | undefined => {
    if (verdict.has(file)) return verdict.get(file);
    if (chain.includes(file)) return undefined; // a cycle: the loader reports it with its position
    if (staged.size >= MAX_FILES) return `the extends chains name more than ${MAX_FILES} files`;
    const problem = describe(lookup(file));
    if (problem) {
      verdict.set(file, `${file} ${problem}`);
      return verdict.get(file);
    }
    const data = git.blob(commit, file);
    if (data.length > MAX_FILE_BYTES) return `${file} is larger than ${MAX_FILE_BYTES} bytes`;
    staged.set(file, data);
    const ext = extendsOf(data);
    let result: string | undefined;
    if (ext !== undefined) {
      const target = typeof ext === 'string' ? path.posix.normalize(path.posix.join(path.posix.dirname(file), ext)) : '';
      if (typeof ext !== 'string' || ext.startsWith('/') || !insideRepository(target)) result = `${file} extends ${JSON.stringify(String(ext)).slice(0, 80)}, which leaves the repository tree`;
      else result = check(target, [...chain, file]);
    }
    verdict.set(file, result);
    return result;
  };
  const written: string[] = [];
  const write = (file: string) => {
    const dest = path.resolve(outDir, file);
    if (!dest.startsWith(path.resolve(outDir) + path.sep)) throw new Error(`refusing to write outside ${outDir}: ${file}`);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, staged.get(file)!);
    fs.chmodSync(dest, 0o644); // whatever the umask, and over a file left in the folder
    written.push(file);
  };
  for (const root of roots) {
    const why = check(root, []);
    if (why) refused.push({ file: root, reason: why });
  }
  for (const [file, why] of [...verdict.entries()].sort(([a], [b]) => a.localeCompare(b))) if (!why && staged.has(file)) write(file);
  return { written, refused };
}

/** The raw `extends:` value of a file, read with the same parser the loader uses; a non-string is returned as is. */
function extendsOf(data: Buffer): unknown {
  const tmp = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'stackyard-pr-'));
  try {
    const f = path.join(tmp, 'file.yaml');
    fs.writeFileSync(f, data);
    const { doc } = parseYamlFile(f);
    const v = doc?.value;
    return v && typeof v === 'object' ? (v as Record<string, unknown>).extends : undefined; // a list has no `extends`
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
