/**
 * YAML loading that keeps positions: every value in a parsed file remembers the file,
 * line and column it came from, so schema and invariant errors can point at the exact spot
 * even after `extends:` merged several files together.
 *
 * Two parsers, each where it is best: js-yaml reads values on the hot path (about ten times
 * faster on large files, see `npm run bench:synth`), and `yaml` computes positions and
 * precise syntax diagnostics only when a problem is reported. Both read YAML 1.2 core.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CORE_SCHEMA, load as fastLoad } from 'js-yaml';
import type { LineCounter, Node } from 'yaml';
import { pathToString, type Position, type Problem } from './errors';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A parsed (and possibly merged) document: its value plus a map from dotted path to position. */
export interface SourcedDocument {
  readonly file: string;
  readonly value: Json;
  readonly positions: ReadonlyMap<string, Position>;
}

export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

const parsed = new Map<string, { key: string; result: { doc?: SourcedDocument; problems: Problem[] } }>();

/** Largest environment file read (1 MiB): a real one is a few kilobytes. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Most values a document may hold once YAML aliases are expanded (an alias bomb stops here). */
export const MAX_VALUES = 100_000;

/**
 * Why a path cannot be read as an environment file (not a regular file, too large), or
 * undefined. Devices, FIFOs and directories are refused before they are opened.
 */
export function unreadableReason(file: string): string | undefined {
  const r = statReadable(file);
  return 'why' in r ? r.why : undefined;
}

/** The stat of a path that can be read as an environment file, or why it cannot (unreadableReason). */
function statReadable(file: string): { st: fs.Stats } | { why: string } {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { why: code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})` };
  }
  if (!st.isFile()) return { why: `is not a regular file (${st.isDirectory() ? 'a directory' : 'a device, socket or pipe'})` };
  if (st.size > MAX_FILE_BYTES) return { why: `is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB (${st.size} bytes)` };
  return { st };
}

/**
 * A regular file's text, or why it is refused: at most MAX_FILE_BYTES + 1 bytes are read, and a
 * path swapped for a pipe or a device after unreadableReason() looked is not read (O_NONBLOCK: the
 * open does not wait for a writer).
 */
export function readBounded(file: string): { text: string } | { why: string } {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    return { why: `cannot be read (${(e as NodeJS.ErrnoException).code})` };
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return { why: 'is not a regular file' };
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = fs.readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_FILE_BYTES) return { why: `is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB` };
    return { text: buf.toString('utf8', 0, n) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Parses one YAML file (memoized per path and modification). Syntax errors and duplicate keys are problems. */
export function parseYamlFile(file: string): { doc?: SourcedDocument; problems: Problem[] } {
  const shown = displayPath(file);
  const refuse = (why: string) => ({ problems: [{ file: shown, line: 0, col: 0, path: '', message: `${why}; an environment file is a regular YAML file of at most 1 MiB` }] });
  const stat = statReadable(file);
  if ('why' in stat) {
    return stat.why === 'does not exist' ? { problems: [{ file: shown, line: 0, col: 0, path: '', message: 'file does not exist; check the path' }] } : refuse(stat.why);
  }
  const key = `${stat.st.mtimeMs}:${stat.st.size}`;
  const hit = parsed.get(file);
  if (hit && hit.key === key) return hit.result;
  const read = readBounded(file);
  if ('why' in read) return refuse(read.why);
  const result = parseText(read.text, shown);
  parsed.set(file, { key, result });
  return result;
}

function parseText(text: string, shown: string): { doc?: SourcedDocument; problems: Problem[] } {
  let value: unknown;
  if (!/^\s*[^#\s]/m.test(text)) {
    return { problems: [{ file: shown, line: 1, col: 1, path: '', message: 'file is empty; an environment file needs at least `name:` and `services:`' }] };
  }
  try {
    value = fastLoad(text, { schema: CORE_SCHEMA });
  } catch (fastError) {
    // the slow parser words syntax errors and duplicate keys precisely
    const { problems } = parseSlow(text, shown);
    if (problems.length) return { problems };
    const mark = (fastError as { mark?: { line: number; column: number } }).mark;
    const reason = (fastError as { reason?: string }).reason ?? String(fastError);
    return { problems: [{ file: shown, line: (mark?.line ?? 0) + 1, col: (mark?.column ?? 0) + 1, path: '', message: `YAML error: ${reason}` }] };
  }
  if (value === null || value === undefined) {
    return { problems: [{ file: shown, line: 1, col: 1, path: '', message: 'file is empty; an environment file needs at least `name:` and `services:`' }] };
  }
  let positions: Map<string, Position> | undefined;
  const doc: SourcedDocument = {
    file: shown,
    value: value as Json,
    get positions() {
      return (positions ??= parseSlow(text, shown).positions);
    },
  };
  const bad = structureProblem(value as Json);
  if (bad) return { problems: [{ ...positionOf(doc, bad.at), path: pathToString(bad.at), message: bad.message }] };
  return { doc, problems: [] };
}

/**
 * What no environment file may hold, whatever the schema says: more than MAX_VALUES values once
 * aliases are expanded (js-yaml shares aliased nodes, so this counts without expanding), and a
 * `__proto__` key, which JavaScript objects built from the file would silently drop.
 */
export function structureProblem(root: Json): { at: (string | number)[]; message: string } | undefined {
  const sizes = new Map<object, number>();
  const size = (v: Json): number => {
    if (v === null || typeof v !== 'object') return 1;
    const known = sizes.get(v);
    if (known !== undefined) return known;
    sizes.set(v, Infinity); // a cycle cannot come out of YAML, but never loop on one
    let n = 1;
    for (const c of Array.isArray(v) ? v : Object.values(v)) n += size(c);
    sizes.set(v, n);
    return n;
  };
  if (size(root) > MAX_VALUES) {
    // point at the smallest value that is too large on its own: that is where the aliases pile up
    const at: (string | number)[] = [];
    let cur: Json = root;
    for (;;) {
      const entries: [string | number, Json][] = Array.isArray(cur) ? cur.map((c, i) => [i, c]) : Object.entries(cur as Record<string, Json>);
      const big = entries.find(([, c]) => size(c) > MAX_VALUES);
      if (!big) break;
      at.push(big[0]);
      cur = big[1];
    }
    return { at, message: `expands to more than ${MAX_VALUES} values through YAML aliases (*name); write the values out or use fewer aliases` };
  }
  // at most MAX_VALUES values to walk now, aliases expanded
  const find = (v: Json, at: (string | number)[]): (string | number)[] | undefined => {
    if (v === null || typeof v !== 'object') return undefined;
    if (!Array.isArray(v) && Object.hasOwn(v, '__proto__')) return [...at, '__proto__'];
    for (const [k, c] of Array.isArray(v) ? v.map((c, i) => [i, c] as const) : Object.entries(v)) {
      const hit = find(c, [...at, k]);
      if (hit) return hit;
    }
    return undefined;
  };
  const proto = find(root, []);
  if (proto) return { at: proto, message: '`__proto__` is not allowed as a key (JavaScript would drop it); rename it' };
  return undefined;
}

// loaded on first use: only error messages need it
type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;
const yaml = (): YamlModule => (yamlModule ??= require('yaml') as YamlModule);

function parseSlow(text: string, shown: string): { positions: Map<string, Position>; problems: Problem[] } {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const problems: Problem[] = [];
  for (const err of document.errors) {
    const pos = lineCounter.linePos(err.pos[0]);
    const message =
      err.code === 'DUPLICATE_KEY'
        ? 'duplicate key; each key may appear once in a mapping, remove or rename one of them'
        : `YAML syntax error: ${firstLine(err.message)}`;
    problems.push({ file: shown, line: pos.line, col: pos.col, path: '', message });
  }
  const positions = new Map<string, Position>();
  if (document.contents) recordPositions(document.contents as Node, [], positions, shown, lineCounter);
  return { positions, problems };
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}

/** Records the position of every path below `node` (values come from the fast parser). */
function recordPositions(node: Node, at: (string | number)[], positions: Map<string, Position>, file: string, lc: LineCounter): void {
  const p = lc.linePos(node.range?.[0] ?? 0);
  positions.set(pathToString(at), { file, line: p.line, col: p.col });
  const { isMap, isScalar, isSeq } = yaml();
  if (isMap(node)) {
    for (const pair of node.items) {
      const child = [...at, isScalar(pair.key) ? String(pair.key.value) : String(pair.key)];
      if (pair.value) recordPositions(pair.value as Node, child, positions, file, lc);
      if (pair.key && (pair.key as Node).range) {
        // the entry itself is placed at its key: that is where the user reads the name
        const kp = lc.linePos((pair.key as Node).range![0]);
        positions.set(pathToString(child), { file, line: kp.line, col: kp.col });
      }
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => item && recordPositions(item as Node, [...at, i], positions, file, lc));
  }
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep merge for `extends:`: mappings merge key by key, everything else (lists included)
 * is replaced by the overriding file, and `null` removes a key the base file has (a service, a
 * mount, an option). Positions follow the value that wins (computed lazily).
 */
export function mergeDocuments(base: SourcedDocument, over: SourcedDocument): SourcedDocument {
  const value = mergeValue(base.value, over.value);
  let positions: Map<string, Position> | undefined;
  return {
    file: over.file,
    value,
    get positions() {
      return (positions ??= mergedPositions(base, over));
    },
  };
}

function mergedPositions(base: SourcedDocument, over: SourcedDocument): Map<string, Position> {
  const out = new Map(base.positions);
  mergePositions(base.value, over.value, [], over.positions, out);
  out.set('', over.positions.get('')!); // the document is the extending file
  return out;
}

function mergeValue(a: Json, b: Json): Json {
  if (!isObject(a) || !isObject(b)) return b;
  const result: { [key: string]: Json } = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === null && Object.hasOwn(a, k)) delete result[k];
    else result[k] = Object.hasOwn(a, k) ? mergeValue(a[k], v) : v;
  }
  return result;
}

function mergePositions(a: Json, b: Json, at: string[], from: ReadonlyMap<string, Position>, out: Map<string, Position>): void {
  const prefix = pathToString(at);
  if (isObject(a) && isObject(b)) {
    for (const [k, v] of Object.entries(b)) {
      const child = [...at, k];
      if (v === null && Object.hasOwn(a, k)) {
        const gone = pathToString(child);
        for (const key of [...out.keys()]) if (key === gone || key.startsWith(gone + '.')) out.delete(key);
        continue;
      }
      // a key the base lacks is a replaced (undefined) value: the override's positions below it
      mergePositions(a[k], v, child, from, out);
      const own = from.get(pathToString(child));
      if (own) out.set(pathToString(child), own);
    }
    return;
  }
  // replaced wholesale: forget the base's positions below this path, take the override's
  for (const key of [...out.keys()]) if (prefix === '' || key.startsWith(prefix + '.')) out.delete(key);
  copyPositions(prefix, from, out);
}

function copyPositions(prefix: string, from: ReadonlyMap<string, Position>, out: Map<string, Position>): void {
  for (const [key, pos] of from) if (prefix === '' || key === prefix || key.startsWith(prefix + '.')) out.set(key, pos);
}

/** Position of a path, walking up to the nearest ancestor that has one. */
export function positionOf(doc: SourcedDocument, at: readonly (string | number)[]): Position {
  for (let n = at.length; n >= 0; n--) {
    const p = doc.positions.get(pathToString(at.slice(0, n)));
    if (p) return p;
  }
  return { file: doc.file, line: 1, col: 1 };
}
