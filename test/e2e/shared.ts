/**
 * What the real-engine suites share (test/e2e/harness.ts on the local engine, test/fleet/fleet.ts
 * on the three-host fleet): canary secrets kept across runs, the engine's environment, commands
 * run in their own process group, HTTP probes and steady traffic, measured figures, plans.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { withSecretVersions as versionsFor } from '../../lib/deploy/secret-versions';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TOOLS = process.env.STACKYARD_TOOLS ?? path.join(ROOT, '.tools');

/**
 * One random value per name (`<prefix>-canary-<name>-<random>`); the tests assert none ever shows
 * up. Kept in `file` (mode 600) so runs against the same volumes agree on passwords (Postgres
 * keeps the password it was initialised with); names missing from an older file are added.
 */
export function keptSecrets(file: string, names: readonly string[], prefix: string): Record<string, string> {
  const kept: Record<string, string> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  if (names.every((n) => n in kept)) return kept;
  const fresh = { ...Object.fromEntries(names.map((n) => [n, `${prefix}-canary-${n.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`])), ...kept };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(fresh), { mode: 0o600 });
  return fresh;
}

/** The process environment of a deploy: OpenTofu from .tools, the environments folder, secrets as TF_VAR_*. */
export function engineEnv(environmentsDir: string, secrets: Record<string, string>, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${path.join(TOOLS, 'bin')}:${process.env.PATH}`,
    TF_CLI_CONFIG_FILE: path.join(TOOLS, 'tofurc'),
    TERRAFORM_BINARY_NAME: 'tofu',
    CHECKPOINT_DISABLE: '1',
    ENVIRONMENTS_DIR: environmentsDir,
    ...Object.fromEntries(Object.entries(secrets).map(([k, v]) => [`TF_VAR_${k}`, v])),
    ...extra,
  };
}

export function runSync(cmd: string, args: string[], env: NodeJS.ProcessEnv, opts: { cwd?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs });
}

export interface RunResult { code: number | null; output: string; seconds: number }

/** Watches a command started by runAsync. */
export interface Watch {
  /** Called with the process group id once started. */
  onStart?: (pid: number) => void;
  /** Called with the output so far, whenever more arrives. */
  onOutput?: (output: string) => void;
  /** Kill the whole process group (SIGKILL) after this long. @default - never */
  timeoutMs?: number;
}

/** Runs a command asynchronously (the test probes traffic meanwhile), in its own process group. */
export function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv, watch: Watch = {}): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, detached: true });
    let output = '';
    const add = (d: Buffer) => {
      output += d;
      watch.onOutput?.(output);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    if (watch.onStart && child.pid) watch.onStart(child.pid);
    const timer = watch.timeoutMs === undefined ? undefined : setTimeout(() => {
      output += `\n[harness] ${cmd} killed after ${watch.timeoutMs} ms\n`;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, watch.timeoutMs);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, output, seconds: Math.round((Date.now() - t0) / 100) / 10 });
    });
  });
}

// flockHeld lives beside the unit tests' helpers (Stryker's sandbox has no test/e2e/); the e2e suites import it from here
export { flockHeld } from '../flock-held';

export interface Probe { ok: boolean; status?: number; body?: any }

/** One HTTP request; the body parsed as JSON when it is JSON. */
export function httpRequest(opts: { address: string; port: number; path: string; host?: string; method?: string; body?: unknown; timeoutMs?: number }): Promise<Probe> {
  return new Promise((resolve) => {
    const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request({
      host: opts.address, port: opts.port, path: opts.path, method: opts.method ?? 'GET', timeout: opts.timeoutMs ?? 3000,
      headers: { ...(opts.host ? { Host: opts.host } : {}), ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let body: any = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON: kept as text */
        }
        resolve({ ok: res.statusCode === 200, status: res.statusCode, body });
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ ok: false }));
    req.end(data);
  });
}

/** A container of an environment, as its engine reports it. */
export interface EnvContainer {
  /** The stable replica name (<env>-<service>-<n>, also the hostname). */
  replica: string;
  /** The container's own name: it carries a revision for start-first services and jobs. */
  name: string;
  id: string;
  state: string;
  health?: string;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  imageId: string;
}

/** Every container of `environment` on one engine (`docker` runs the CLI there and returns its output). */
export function environmentContainers(docker: (...args: string[]) => string, environment: string): EnvContainer[] {
  const ids = docker('ps', '-aq', '--filter', `label=stackyard.environment=${environment}`).split('\n').filter(Boolean);
  if (!ids.length) return [];
  return JSON.parse(docker('inspect', ...ids)).map((c: any) => ({
    replica: `${environment}-${c.Config.Labels['stackyard.service']}-${c.Config.Labels['stackyard.replica']}`,
    name: c.Name.replace(/^\//, ''),
    id: c.Id,
    state: c.State.Status,
    health: c.State.Health?.Status,
    exitCode: c.State.ExitCode,
    startedAt: c.State.StartedAt,
    finishedAt: c.State.FinishedAt,
    imageId: c.Image,
  }));
}

/** Records measured figures in `file` (JSON), printed as they come. */
export function reporter(file: string, label: string): (key: string, value: unknown) => void {
  return (key, value) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const data = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
    data[key] = value;
    fs.writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
    console.log(`[${label}] ${key}: ${JSON.stringify(value)}`);
  };
}

/**
 * `env` plus TF_VAR_STACKYARD_SECRET_VERSIONS as a deploy computes it (lib/deploy/secret-versions.ts:
 * a keyed hash of each TF_VAR_<NAME> value in `env`), for engine commands run by hand in a stack
 * folder (plan, state pull): a stack that records secret versions needs it like any variable.
 */
export function withSecretVersions(stackDir: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return versionsFor(JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')), env);
}

/** Resource addresses a plan would change, with their actions (`tofu` runs in the stack folder). */
export function plannedChanges(tofu: (...args: string[]) => SpawnSyncReturns<string>, planFile: string): { address: string; actions: string[] }[] {
  const p = tofu('plan', '-input=false', '-no-color', `-out=${planFile}`);
  if (p.status !== 0) throw new Error(p.stdout + p.stderr);
  const show = tofu('show', '-json', planFile);
  const json = JSON.parse(show.stdout);
  return (json.resource_changes ?? [])
    .filter((c: any) => !(c.change.actions.length === 1 && ['no-op', 'read'].includes(c.change.actions[0])))
    .map((c: any) => ({ address: c.address, actions: c.change.actions }));
}
