/**
 * Environment files → validated, frozen EnvironmentConfig. Resolves `extends:` chains,
 * validates with zod, maps every issue back to file:line:col and YAML path, and throws one
 * ConfigError with all problems together.
 */
import * as path from 'node:path';
import type { z } from 'zod';
import { ConfigError, pathToString, suggest, type Problem } from './errors';
import { EnvironmentSchema, SERVICE_KINDS, type EnvironmentConfig } from './schema';
import { displayPath, mergeDocuments, parseYamlFile, positionOf, unreadableReason, type SourcedDocument } from './yaml-source';

export interface LoadedEnvironment {
  readonly config: EnvironmentConfig;
  /** Merged source, for positioning invariant errors found later. */
  readonly source: SourcedDocument;
}

/** Reads a file and the chain of files it extends, merged (maps deep, lists replaced). */
export function readMerged(file: string, seen: string[] = []): SourcedDocument {
  const abs = path.resolve(file);
  if (seen.includes(abs)) {
    const chain = [...seen, abs].map(displayPath).join(' → ');
    throw new ConfigError([{ file: displayPath(seen[seen.length - 1]), line: 1, col: 1, path: 'extends', message: `extends itself through ${chain}; remove the cycle` }]);
  }
  const { doc, problems } = parseYamlFile(abs);
  if (!doc) throw new ConfigError(problems);
  if (typeof doc.value !== 'object' || doc.value === null || Array.isArray(doc.value)) {
    throw new ConfigError([{ ...positionOf(doc, []), path: '', message: 'expected a mapping with `name:`, `hosts:` and `services:` at the top level' }]);
  }
  const ext = (doc.value as Record<string, unknown>).extends;
  if (ext === undefined) return doc;
  if (typeof ext !== 'string') {
    throw new ConfigError([{ ...positionOf(doc, ['extends']), path: 'extends', message: 'expected the path of another environment file, e.g. ./base.yaml' }]);
  }
  const target = path.resolve(path.dirname(abs), ext);
  const why = unreadableReason(target);
  if (why === 'does not exist') {
    throw new ConfigError([{ ...positionOf(doc, ['extends']), path: 'extends', message: `extends ${ext}, which does not exist (looked for ${displayPath(target)}); fix the path relative to this file` }]);
  }
  if (why) {
    throw new ConfigError([{ ...positionOf(doc, ['extends']), path: 'extends', message: `extends ${ext}, which ${why}; extends names another environment file (a regular YAML file of at most 1 MiB)` }]);
  }
  const base = readMerged(target, [...seen, abs]);
  // the child decides whether it is partial; `extends` itself is the child's
  const baseValue = { ...(base.value as Record<string, unknown>) };
  delete baseValue.partial;
  delete baseValue.extends;
  const stripped: SourcedDocument = { file: base.file, value: baseValue as SourcedDocument['value'], get positions() { return base.positions; } };
  return mergeDocuments(stripped, doc);
}

/** Loads and validates one environment file. Throws ConfigError on any user mistake. */
export function loadEnvironment(file: string): LoadedEnvironment {
  const source = readMerged(file);
  const parsed = EnvironmentSchema.safeParse(source.value);
  if (!parsed.success) throw new ConfigError(zodProblems(parsed.error, source));
  return { config: deepFreeze(parsed.data), source };
}

/** True when the file declares `partial: true` (used only through `extends:`). */
export function isPartialFile(file: string): boolean {
  const { doc } = parseYamlFile(path.resolve(file));
  // a scalar has no `partial` either: only a mapping's `partial: true` makes this true
  return (doc?.value as { partial?: unknown } | null | undefined)?.partial === true;
}

function zodProblems(error: z.ZodError, source: SourcedDocument): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) flatten(issue, [], source, out);
  return out;
}

type Issue = z.core.$ZodIssue;

function flatten(issue: Issue, prefix: PropertyKey[], source: SourcedDocument, out: Problem[]): void {
  const at = [...prefix, ...issue.path].map((p) => (typeof p === 'symbol' ? String(p) : p)) as (string | number)[];
  const value = valueAt(source.value, at);
  const problem = (where: (string | number)[], message: string) => out.push({ ...positionOf(source, where), path: pathToString(where), message });
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(at, source);
      for (const key of issue.keys) {
        const hint = allowed ? suggest(key, allowed) : undefined;
        const list = allowed ? `; allowed here: ${allowed.join(', ')}` : '';
        problem([...at, key], `unknown key${hint ? `; did you mean \`${hint}\`?` : list}`);
      }
      return;
    }
    case 'invalid_type': {
      if (value === undefined) problem(at, `is required (expected ${describeExpected(issue.expected)})`);
      else if (issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
        problem(at, `expected a string, got ${describeValue(value)}; quote it: "${String(value)}"`);
      } else problem(at, `expected ${describeExpected(issue.expected)}, got ${describeValue(value)}`);
      return;
    }
    case 'invalid_union': {
      if ('note' in issue && issue.note === 'No matching discriminator') {
        const key = (issue as { discriminator?: string }).discriminator ?? 'kind';
        if (at[at.length - 1] === key) at.pop();
        const d = valueAt(source.value, [...at, key]);
        const options = key === 'kind' ? SERVICE_KIND_LIST : 'local, pg, s3';
        if (d === undefined) problem([...at, key], `is required; one of ${options}`);
        else {
          const hint = typeof d === 'string' ? suggest(d, options.split(', ')) : undefined;
          problem([...at, key], `unknown ${key} ${JSON.stringify(d)}${hint ? `; did you mean \`${hint}\`?` : `; expected one of ${options}`}`);
        }
        return;
      }
      // report the branch that got furthest: fewest issues
      const branches = (issue.errors ?? []) as Issue[][];
      const best = [...branches].sort((a, b) => a.length - b.length)[0];
      if (best && best.length > 0 && !best.every((i) => i.code === 'invalid_type' && i.path.length === 0)) {
        for (const i of best) flatten(i, at, source, out);
      } else problem(at, `expected ${unionDescription(at)}, got ${describeValue(value)}`);
      return;
    }
    case 'invalid_value':
      problem(at, `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(value)}`);
      return;
    case 'too_small':
      if (issue.origin === 'array') problem(at, `needs at least ${issue.minimum} item(s)`);
      else if (issue.origin === 'string') problem(at, issue.minimum === 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`);
      else problem(at, `must be ${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}, got ${describeValue(value)}`);
      return;
    case 'too_big':
      problem(at, `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}, got ${describeValue(value)}`);
      return;
    case 'invalid_key':
      problem(at, `invalid name ${describeValue(at[at.length - 1])}: ${issue.issues.map((i) => i.message).join('; ')}`);
      return;
    default:
      problem(at, `${issue.message}${value !== undefined && typeof value !== 'object' ? ` (got ${describeValue(value)})` : ''}`);
  }
}

const SERVICE_KIND_LIST = SERVICE_KINDS.join(', ');

function unionDescription(at: (string | number)[]): string {
  const last = at[at.length - 2];
  if (last === 'secrets') return 'a secret name or { name, as: file | env }';
  if (last === 'ports') return 'a port number or { container, publish }';
  return 'a different kind of value';
}

function describeExpected(e: string): string {
  return e === 'object' || e === 'record' ? 'a mapping' : e === 'array' ? 'a list' : e === 'int' ? 'an integer' : `a ${e}`;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v);
  return `${typeof v} ${String(v)}`;
}

function valueAt(root: unknown, at: (string | number)[]): unknown {
  let cur: unknown = root;
  for (const k of at) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.hasOwn(cur, k)) return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

function allowedKeys(at: (string | number)[], source: SourcedDocument): string[] | undefined {
  const shape = shapeAt(at, source);
  return shape ? Object.keys(shape).sort() : undefined;
}

// Walks the schema alongside the path, choosing the discriminated branch from the data.
function shapeAt(at: (string | number)[], source: SourcedDocument): Record<string, unknown> | undefined {
  let schema: unknown = EnvironmentSchema;
  for (let i = 0; i <= at.length; i++) {
    schema = unwrap(schema, valueAt(source.value, at.slice(0, i)));
    if (i === at.length) break;
    const def = (schema as { def?: { type?: string; shape?: Record<string, unknown>; valueType?: unknown; element?: unknown } }).def;
    if (!def) return undefined;
    if (def.type === 'object') schema = def.shape && Object.hasOwn(def.shape, at[i]) ? def.shape[at[i] as string] : undefined;
    else if (def.type === 'record') schema = def.valueType;
    else if (def.type === 'array') schema = def.element;
    else return undefined;
  }
  const def = (schema as { def?: { type?: string; shape?: Record<string, unknown> } } | undefined)?.def;
  return def?.type === 'object' ? def.shape : undefined;
}

function unwrap(schema: unknown, value: unknown): unknown {
  for (let guard = 0; guard < 10; guard++) {
    const def = (schema as { def?: { type?: string; innerType?: unknown; options?: unknown[]; discriminator?: string; in?: unknown } } | undefined)?.def;
    if (!def) return schema;
    if (def.type === 'default' || def.type === 'optional' || def.type === 'nullable' || def.type === 'readonly') schema = def.innerType;
    else if (def.type === 'pipe') schema = def.in;
    else if (def.type === 'union' && def.options) {
      const disc = def.discriminator;
      const pick = def.options.find((o) => {
        const od = (o as { def?: { type?: string; shape?: Record<string, { def?: { values?: unknown[] } }> } }).def;
        if (disc && od?.shape?.[disc]) return (od.shape[disc].def?.values ?? []).includes((value as Record<string, unknown> | undefined)?.[disc]);
        return od?.type === 'object' && typeof value === 'object' && value !== null;
      });
      if (!pick) return schema;
      schema = pick;
    } else return schema;
  }
  return schema;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

export { ConfigError };
