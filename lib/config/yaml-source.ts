/**
 * YAML loading that keeps positions: every value in a parsed file remembers the file,
 * line and column it came from, so schema and invariant errors can point at the exact spot
 * even after `extends:` merged several files together.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
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
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Parses one YAML file. Syntax errors and duplicate keys are returned as problems. */
export function parseYamlFile(file: string): { doc?: SourcedDocument; problems: Problem[] } {
  const shown = displayPath(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file does not exist' : `cannot be read (${code ?? String(e)})`;
    return { problems: [{ file: shown, line: 0, col: 0, path: '', message: `${why}; check the path` }] };
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const problems: Problem[] = [];
  for (const err of document.errors) {
    const pos = lineCounter.linePos(err.pos[0]);
    const message =
      err.code === 'DUPLICATE_KEY'
        ? 'duplicate key; each key may appear once in a mapping, remove or rename one of them'
        : `YAML syntax error: ${firstLine(err.message)}`;
    problems.push({ file: shown, line: pos.line, col: pos.col, path: '', message });
  }
  if (problems.length > 0) return { problems };
  if (document.contents === null || (isScalar(document.contents) && document.contents.value === null)) {
    return { problems: [{ file: shown, line: 1, col: 1, path: '', message: 'file is empty; an environment file needs at least `name:` and `services:`' }] };
  }
  const positions = new Map<string, Position>();
  const value = toJson(document.contents as Node, [], positions, shown, lineCounter);
  return { doc: { file: shown, value, positions }, problems };
}

function firstLine(s: string): string {
  return s.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

function toJson(node: Node, at: (string | number)[], positions: Map<string, Position>, file: string, lc: LineCounter): Json {
  const start = node.range?.[0] ?? 0;
  const p = lc.linePos(start);
  positions.set(pathToString(at), { file, line: p.line, col: p.col });
  if (isMap(node)) {
    const out: { [key: string]: Json } = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const child = [...at, key];
      out[key] = pair.value === null || pair.value === undefined ? null : toJson(pair.value as Node, child, positions, file, lc);
      if (pair.key && (pair.key as Node).range) {
        // keep the key's position for the entry itself: it is where the user reads the name
        const kp = lc.linePos((pair.key as Node).range![0]);
        positions.set(pathToString(child), { file, line: kp.line, col: kp.col });
      }
    }
    return out;
  }
  if (isSeq(node)) {
    return node.items.map((item, i) => (item === null ? null : toJson(item as Node, [...at, i], positions, file, lc)));
  }
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    return String(v);
  }
  return null;
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep merge for `extends:`: mappings merge key by key, everything else (lists included)
 * is replaced by the overriding file. Positions follow the value that wins.
 */
export function mergeDocuments(base: SourcedDocument, over: SourcedDocument): SourcedDocument {
  const positions = new Map(base.positions);
  const value = mergeValue(base.value, over.value, [], over.positions, positions);
  return { file: over.file, value, positions };
}

function mergeValue(a: Json, b: Json, at: string[], overPositions: ReadonlyMap<string, Position>, out: Map<string, Position>): Json {
  if (isObject(a) && isObject(b)) {
    const result: { [key: string]: Json } = { ...a };
    for (const [k, v] of Object.entries(b)) {
      const child = [...at, k];
      result[k] = k in a ? mergeValue(a[k], v, child, overPositions, out) : copyPositions(v, child, overPositions, out);
      const own = overPositions.get(pathToString(child));
      if (own) out.set(pathToString(child), own);
    }
    return result;
  }
  // replaced wholesale: forget the base's positions below this path
  const prefix = pathToString(at);
  for (const key of [...out.keys()]) if (prefix === '' || key.startsWith(prefix + '.')) out.delete(key);
  return copyPositions(b, at, overPositions, out);
}

function copyPositions(v: Json, at: string[], from: ReadonlyMap<string, Position>, out: Map<string, Position>): Json {
  const prefix = pathToString(at);
  for (const [key, pos] of from) if (key === prefix || key.startsWith(prefix + '.') || prefix === '') out.set(key, pos);
  return v;
}

/** Position of a path, walking up to the nearest ancestor that has one. */
export function positionOf(doc: SourcedDocument, at: readonly (string | number)[]): Position {
  for (let n = at.length; n >= 0; n--) {
    const p = doc.positions.get(pathToString(at.slice(0, n)));
    if (p) return p;
  }
  return { file: doc.file, line: 1, col: 1 };
}
