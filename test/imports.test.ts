/**
 * No import circle: the static imports of bin/, lib/, constructs/ and scripts/ (type-only ones
 * too: `import type` is a dependency of the design even when the compiler erases it) form no
 * cycle. Lazy `await import()` / `require()` calls, made on purpose to keep commands fast to
 * start, are not static imports and are left out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const STATIC = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Relative module specifiers a TypeScript source imports or re-exports statically. */
export function staticImports(source: string): string[] {
  return [...source.matchAll(STATIC)].map((m) => m[1]);
}

/** The import graph of every .ts file under `dirs` (relative paths, resolved to files). */
function importGraph(dirs: readonly string[]): Map<string, string[]> {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(path.relative(ROOT, p));
    }
  };
  for (const d of dirs) walk(path.join(ROOT, d));
  const resolve = (from: string, spec: string): string | undefined => {
    const base = path.normalize(path.join(path.dirname(from), spec));
    return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(path.join(ROOT, f)));
  };
  return new Map(files.map((f) => [f, staticImports(fs.readFileSync(path.join(ROOT, f), 'utf8')).map((s) => resolve(f, s)).filter((t): t is string => t !== undefined)]));
}

/** Every import circle, each as the files around it (first file repeated at the end), shortest first. */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const out = new Map<string, string[]>();
  for (const start of [...graph.keys()].sort()) {
    // breadth-first from start's imports back to start: its shortest circle
    const prev = new Map<string, string>();
    const queue = [...(graph.get(start) ?? [])];
    for (const q of queue) if (!prev.has(q)) prev.set(q, start);
    for (let i = 0; i < queue.length; i++) {
      const at = queue[i];
      if (at === start) {
        const ring = [start];
        for (let x = prev.get(start)!; x !== start; x = prev.get(x)!) ring.unshift(x);
        ring.unshift(start);
        const key = [...ring.slice(1)].sort().join(' ');
        if (!out.has(key)) out.set(key, ring);
        break;
      }
      for (const next of graph.get(at) ?? []) {
        if (!prev.has(next)) {
          prev.set(next, at);
          queue.push(next);
        }
      }
    }
  }
  return [...out.values()].sort((a, b) => a.length - b.length);
}

describe('import circles', () => {
  it('finds a circle, a type-only one included, and nothing in a tree', () => {
    expect(staticImports("import { a } from './a';\nimport type { B } from '../b';\nexport { c } from './c';\nexport * from './d';\nimport './e';\nconst x = require('./lazy');\nimport { z } from 'zod';\nimport {\n  f,\n  g,\n} from './fg';")).toEqual(['./a', '../b', './c', './d', './e', './fg']);
    const g = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts', 'd.ts']], ['d.ts', []]]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(cycles(new Map([['a.ts', ['b.ts', 'c.ts']], ['b.ts', ['c.ts']], ['c.ts', []]]))).toEqual([]);
  });

  it('bin/, lib/, constructs/ and scripts/ have none', () => {
    const found = cycles(importGraph(['bin', 'lib', 'constructs', 'scripts'])).map((c) => c.join(' → '));
    expect(found).toEqual([]);
  });
});
