/** Test helpers: write environment files to a temporary folder, synthesize, read the JSON back. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onTestFinished, vi } from 'vitest';
import { buildApp } from '../lib/app';
import { ConfigError, formatProblem } from '../lib/config/errors';
import { formatWarning } from '../lib/validation';

/** What the code under test printed: standard output (console.log included) and standard error. */
export interface Captured {
  out: string;
  err: string;
}

/** Captures the current test's output (undone by vi.restoreAllMocks()); set a field to '' to start again. */
export function captureOutput(): Captured {
  const io: Captured = { out: '', err: '' };
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((io.out += String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((io.err += String(c)), true));
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (io.out += a.join(' ') + '\n'));
  return io;
}

export function tempDir(prefix = 'stackyard-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A checkout with `env` as environments/test.yaml, synthesized: its root and the stack folder (cdktf.out/stacks/test). */
export function synthesizedCheckout(env: string): { root: string; dir: string } {
  const root = writeFiles({ 'environments/test.yaml': env });
  buildApp([path.join(root, 'environments', 'test.yaml')], path.join(root, 'cdktf.out')).app.synth();
  return { root, dir: path.join(root, 'cdktf.out', 'stacks', 'test') };
}

export function writeFiles(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/**
 * `make()` for the tests of one file: computed when a test first calls the returned function (not
 * when the file loads, so a run filtered to a few tests, such as Stryker's run of one mutant, pays
 * only for what those tests use) and shared by the tests after it. While Stryker records which
 * tests cover which code (its dry run sets `__stryker__.currentTestId`), each test computes its
 * own: shared, only the first test would be recorded as covering the code that made the value,
 * and a mutant there would be run against that test alone.
 */
export function shared<T>(make: () => T): () => T {
  let made: { value: T; test: unknown } | undefined;
  return () => {
    const test = (globalThis as { __stryker__?: { currentTestId?: string } }).__stryker__?.currentTestId;
    if (!made || made.test !== test) made = { value: make(), test };
    return made.value;
  };
}

/**
 * Gives `target[key]` the value `value` for the rest of the current test (a stream's `isTTY` or
 * `columns`), and puts back what was there when the test finishes: its own property as it was, or
 * none. Restores run last stub first, so two stubs of one key in a test leave the original.
 */
export function stubProperty(target: object, key: PropertyKey, value: unknown): void {
  const saved = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, { value, configurable: true, writable: true });
  onTestFinished(() => {
    if (saved) Object.defineProperty(target, key, saved);
    else delete (target as Record<PropertyKey, unknown>)[key];
  });
}

/** What a plan comment cut under GitHub's limit ends with (lib/plan/summary.ts renderSummary): the tests of where it is cut count its length. */
export const PLAN_CUT_NOTE = '\n_Details cut to stay under GitHub\'s comment limit: the summary above is complete; run `npm run plan:summary` locally or read the workflow log for everything._\n';

/** Synthesizes the named files and returns each stack's parsed cdk.tf.json by stack name. */
export function synth(files: Record<string, string>, main: string[] = Object.keys(files)): Record<string, any> {
  const dir = writeFiles(files);
  const outdir = path.join(dir, 'out');
  const { app, stacks } = buildApp(main.map((f) => path.join(dir, f)), outdir);
  app.synth();
  return Object.fromEntries(stacks.map((s) => [s.model.environmentName, JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', s.model.environmentName, 'cdk.tf.json'), 'utf8'))]));
}

/** Builds the named files and returns the warnings as the CLI prints them (temp folder left out of paths). */
export function warnings(files: Record<string, string>, main: string[] = Object.keys(files)): string[] {
  const dir = writeFiles(files);
  return buildApp(main.map((f) => path.join(dir, f)), path.join(dir, 'out')).warnings.map((w) => formatWarning(w).split(dir + path.sep).join(''));
}

/** Synthesizes and returns the error lines (file paths shown relative to the temp folder). */
export function errors(files: Record<string, string>, main: string[] = [Object.keys(files)[0]]): string[] {
  const dir = writeFiles(files);
  try {
    buildApp(main.map((f) => path.join(dir, f)), path.join(dir, 'out'));
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => formatProblem(p).split(dir + path.sep).join(''));
    throw e;
  }
  throw new Error('expected a ConfigError, but synthesis succeeded');
}

/** A small valid environment to vary in tests. */
export const MINIMAL = `name: test
hosts:
  main: { docker: "unix:///var/run/docker.sock", address: 10.0.0.1 }
secrets: [DB_PASSWORD, JWT_SECRET]
services:
  proxy: { kind: traefik, entrypoints: { web: 8001 } }
  db: { kind: postgres, password: DB_PASSWORD }
  api:
    kind: web
    image: ghcr.io/acme/api
    tag: "1.0"
    port: 8000
    health: /health
    route: PathPrefix(\`/api\`)
    uses: [db]
    secrets: [JWT_SECRET]
`;

/** Two Docker hosts with addresses and a Postgres on the first: the base of the fleet, schedule and observability tests. */
export const TWO_HOSTS = `hosts:
  core: { docker: "ssh://deploy@core.example.com", address: core.example.com }
  b: { docker: "ssh://deploy@b.example.com", address: b.example.com }
`;

/** An environment `obs` on TWO_HOSTS with `services` added (and `extra` top-level lines before the hosts). */
export const twoHostEnvironment = (services: string, extra = '') => `name: obs\n${extra}${TWO_HOSTS}secrets: [DB_PASSWORD, REDIS_PASSWORD, GF_PASSWORD]\nservices:\n  db: { kind: postgres, host: core, password: DB_PASSWORD, publish: 5432, bind: 0.0.0.0 }\n${services}`;
