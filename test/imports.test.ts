/**
 * The Kubernetes target and the model never load cdktf: everything lib/kubernetes/, constructs/,
 * the model (lib/environment.ts, lib/environments.ts), the Kubernetes scripts, the workflow
 * generator and `stackyard secrets` (lib/github/inventory.ts) import, however
 * indirectly, imports neither cdktf nor a @cdktf provider; and `npm run synth:k8s`, run, loads no
 * cdktf module.
 *
 * No import circle: the static imports of bin/, lib/, constructs/ and scripts/ (type-only ones
 * too: `import type` is a dependency of the design even when the compiler erases it) form no
 * cycle. Lazy `await import()` / `require()` calls, made on purpose to keep commands fast to
 * start, are not static imports and are left out.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const STATIC = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;

const PACKAGE = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'".][^'"]*)['"]/gm;

/** Package specifiers (not relative) a TypeScript source imports or re-exports statically. */
export function packageImports(source: string): string[] {
  return [...source.matchAll(PACKAGE)].map((m) => m[1]);
}

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

/** For each file reached from `entries` that imports a package `banned` matches: the import chain to it. */
export function reachingImports(graph: ReadonlyMap<string, readonly string[]>, entries: readonly string[], imports: (file: string) => readonly string[], banned: RegExp): string[] {
  const via = new Map<string, string | undefined>(entries.map((e) => [e, undefined]));
  const queue = [...entries];
  const found: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i];
    const bad = imports(at).filter((p) => banned.test(p));
    if (bad.length) {
      const chain = [at];
      for (let x = via.get(at); x !== undefined; x = via.get(x)) chain.unshift(x);
      found.push(`${chain.join(' → ')} imports ${bad.join(', ')}`);
    }
    for (const next of graph.get(at) ?? []) {
      if (!via.has(next)) {
        via.set(next, at);
        queue.push(next);
      }
    }
  }
  return found;
}

const CDKTF = /^(cdktf|@cdktf\/.*)$/;

describe('the Kubernetes target and the model do not load cdktf', () => {
  it('finds a package reached through a chain of imports, a type-only one included', () => {
    expect(packageImports("import { App } from 'cdktf';\nimport type { X } from '@cdktf/provider-docker/lib/x';\nimport { a } from './a';\nimport * as fs from 'node:fs';")).toEqual(['cdktf', '@cdktf/provider-docker/lib/x', 'node:fs']);
    const graph = new Map([['k.ts', ['m.ts']], ['m.ts', ['s.ts']], ['s.ts', []], ['other.ts', []]]);
    const pkgs: Record<string, string[]> = { 'k.ts': [], 'm.ts': ['constructs'], 's.ts': ['cdktf'], 'other.ts': ['@cdktf/provider-github'] };
    expect(reachingImports(graph, ['k.ts'], (f) => pkgs[f], CDKTF)).toEqual(['k.ts → m.ts → s.ts imports cdktf']);
    expect(reachingImports(graph, ['m.ts'], (f) => ({ ...pkgs, 's.ts': ['constructs'] })[f], CDKTF)).toEqual([]);
  });

  it('lib/kubernetes/, constructs/, the model, the Kubernetes scripts, the workflows and `stackyard secrets` reach no cdktf import', () => {
    const graph = importGraph(['bin', 'lib', 'constructs', 'scripts']);
    const entries = [...graph.keys()].filter((f) => /^(lib\/kubernetes|constructs)\//.test(f) || ['lib/environment.ts', 'lib/environments.ts', 'lib/build.ts', 'lib/model.ts', 'lib/service.ts', 'lib/github/inventory.ts', 'scripts/synth-k8s.ts', 'scripts/k8s-secrets.ts', 'scripts/workflows.ts', 'lib/cli/commands/secrets.ts'].includes(f));
    expect(entries).toEqual(expect.arrayContaining(['lib/kubernetes/render.ts', 'constructs/index.ts', 'lib/environment.ts', 'scripts/synth-k8s.ts']));
    expect(reachingImports(graph, entries, (f) => packageImports(fs.readFileSync(path.join(ROOT, f), 'utf8')), CDKTF)).toEqual([]);
  });

  it('run, not read: `npm run synth:k8s` writes the manifests with no cdktf module loaded (lazy imports included)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'stackyard-k8s-cdktf-'));
    const script = [
      `const { synthKubernetes } = require(${JSON.stringify(path.join(ROOT, 'dist', 'scripts', 'synth-k8s.js'))});`,
      `const written = synthKubernetes([${JSON.stringify(path.join(ROOT, 'environments'))}], ${JSON.stringify(out)});`,
      `const loaded = Object.keys(require.cache).filter((k) => /[\\/]node_modules[\\/](cdktf|@cdktf)[\\/]/.test(k));`,
      'process.stdout.write(JSON.stringify({ written: written.length, loaded }));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    fs.rmSync(out, { recursive: true, force: true });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ written: 1, loaded: [] });
  });
});

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
