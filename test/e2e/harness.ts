/**
 * End-to-end harness: a real Docker engine (scripts/engine-docker.sh), real OpenTofu and
 * providers (scripts/engine.sh), real images (scripts/images.sh), deploys through
 * scripts/deploy.sh (`cdktf deploy` on OpenTofu). Nothing here is mocked.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { deployVersions, recordsVersions, SECRET_VERSIONS_VARIABLE, versionedSecrets } from '../../lib/deploy/secret-versions';
import { steadyTraffic as traffic } from '../../scripts/traffic';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ENV = 'e2e';
export const ENV_DIR = path.join(ROOT, '.stackyard', 'e2e-environments');
export const STACK_DIR = path.join(ROOT, 'cdktf.out', 'stacks', ENV);
export const PROXY_PORT = 18001;
const TOOLS = process.env.STACKYARD_TOOLS ?? path.join(ROOT, '.tools');

/**
 * One random value per declared secret; the tests assert none of them ever shows up. Kept in
 * .stackyard/e2e-secrets.json so separate runs against the same volumes agree on passwords
 * (Postgres keeps the password it was initialised with, as the official image does).
 */
export const SECRETS: Record<string, string> = (() => {
  const file = path.join(ROOT, '.stackyard', 'e2e-secrets.json');
  const kept: Record<string, string> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  // STATE_PASSPHRASE: the key of the encrypted state (added to files of earlier runs too)
  const names = ['DB_PASSWORD', 'REDIS_PASSWORD', 'JWT_SECRET', 'CRYPTOPANIC_API_KEY', 'NEWSCATCHER_API_KEY', 'NANSEN_API_KEY', 'STATE_PASSPHRASE'];
  if (names.every((n) => n in kept)) return kept;
  const fresh = { ...Object.fromEntries(names.map((n) => [n, `e2e-canary-${n.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`])), ...kept };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(fresh), { mode: 0o600 });
  return fresh;
})();

export function toolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${path.join(TOOLS, 'bin')}:${process.env.PATH}`,
    TF_CLI_CONFIG_FILE: path.join(TOOLS, 'tofurc'),
    TERRAFORM_BINARY_NAME: 'tofu',
    CHECKPOINT_DISABLE: '1',
    ENVIRONMENTS_DIR: ENV_DIR,
    ...Object.fromEntries(Object.entries(SECRETS).map(([k, v]) => [`TF_VAR_${k}`, v])),
    ...extra,
  };
}

export interface E2eOptions {
  backendTag?: string;
  dbTag?: string;
  prestartFail?: boolean;
  prestartSeconds?: number;
}

/** The `local` topology pointed at the test engine, with protected volumes and its own ports. */
export function writeEnvironment(o: E2eOptions = {}): void {
  fs.mkdirSync(ENV_DIR, { recursive: true });
  const local = path.relative(ENV_DIR, path.join(ROOT, 'environments', 'local.yaml'));
  const prestartEnv = { ...(o.prestartFail ? { FAIL: '1' } : {}), PRESTART_SECONDS: String(o.prestartSeconds ?? 1) };
  fs.writeFileSync(
    path.join(ENV_DIR, 'e2e.yaml'),
    [
      'name: e2e',
      `extends: ${local}`,
      'protectVolumes: true',
      'services:',
      `  proxy: { entrypoints: { web: ${PROXY_PORT} }, dashboard: { port: 18090 } }`,
      `  backend: { tag: "${o.backendTag ?? '1'}" }`,
      o.dbTag ? `  db: { image: stackyard-test/postgres, tag: "${o.dbTag}" }` : '',
      `  prestart: { env: ${JSON.stringify(prestartEnv)} }`,
      '',
    ].filter((l) => l !== '').join('\n') + '\n',
  );
}

export interface RunResult { code: number | null; output: string }

/** Runs a command asynchronously (so the test can probe traffic meanwhile), in its own process group. */
export interface Watch {
  /** Called with the process group id once started. */
  onStart?: (pid: number) => void;
  /** Called with the output so far, whenever more arrives. */
  onOutput?: (output: string) => void;
}

export function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv, watch: Watch = {}): Promise<RunResult> {
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
    child.on('close', (code) => resolve({ code, output }));
  });
}

export function deploy(o: E2eOptions = {}, watch: Watch = {}): Promise<RunResult> {
  writeEnvironment(o);
  return runAsync('bash', ['scripts/deploy.sh', ENV], toolEnv(), watch);
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? toolEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

export function docker(...args: string[]): string {
  const r = run('docker', args);
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * A hand-run tofu in the stack folder, given what a deploy gives it: the secrets and the versions the
 * deploy records of them (a required variable, so a plan without them fails instead of planning changes).
 */
export function tofu(...args: string[]): SpawnSyncReturns<string> {
  return run('tofu', args, { cwd: STACK_DIR, env: withSecretVersions(STACK_DIR, toolEnv()) });
}

/**
 * `env` plus TF_VAR_STACKYARD_SECRET_VERSIONS as a deploy computes it (lib/deploy/secret-versions.ts:
 * a keyed hash of each TF_VAR_<NAME> value in `env`), for engine commands run by hand in a stack
 * folder (plan, state pull): a stack that records secret versions needs it like any variable.
 */
export function withSecretVersions(stackDir: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const stack = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  if (!recordsVersions(stack)) return env;
  const meta = stack['//'].stackyard;
  const versions = deployVersions({
    environment: meta.environment,
    names: versionedSecrets(stack),
    valueOf: (n) => env[`TF_VAR_${n}`],
    passphrase: meta.statePassphraseVariable ? env[`TF_VAR_${meta.statePassphraseVariable}`] : undefined,
    placeholder: false,
  });
  return { ...env, [`TF_VAR_${SECRET_VERSIONS_VARIABLE}`]: JSON.stringify(versions) };
}

/** Resource addresses a plan would change, with their actions. */
export function plannedChanges(): { address: string; actions: string[] }[] {
  const p = tofu('plan', '-input=false', '-no-color', '-out=e2e.plan');
  if (p.status !== 0) throw new Error(p.stdout + p.stderr);
  const show = tofu('show', '-json', 'e2e.plan');
  const json = JSON.parse(show.stdout);
  return (json.resource_changes ?? [])
    .filter((c: any) => !(c.change.actions.length === 1 && ['no-op', 'read'].includes(c.change.actions[0])))
    .map((c: any) => ({ address: c.address, actions: c.change.actions }));
}

/**
 * The environment's containers. `replica` is the stable replica name (<env>-<service>-<n>, also the
 * hostname); `name` is the container's, which carries a revision for start-first services and jobs.
 */
export function containers(): { replica: string; name: string; id: string; state: string; health?: string; exitCode: number; startedAt: string; finishedAt: string }[] {
  const ids = docker('ps', '-aq', '--filter', `label=stackyard.environment=${ENV}`).split('\n').filter(Boolean);
  if (!ids.length) return [];
  return JSON.parse(docker('inspect', ...ids)).map((c: any) => ({
    replica: `${ENV}-${c.Config.Labels['stackyard.service']}-${c.Config.Labels['stackyard.replica']}`,
    name: c.Name.replace(/^\//, ''),
    id: c.Id,
    state: c.State.Status,
    health: c.State.Health?.Status,
    exitCode: c.State.ExitCode,
    startedAt: c.State.StartedAt,
    finishedAt: c.State.FinishedAt,
  }));
}

/** One request through the proxy. */
export function probe(host = 'api.localhost', pathname = '/api/', timeoutMs = 3000): Promise<{ ok: boolean; body?: any }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: PROXY_PORT, path: pathname, headers: { Host: host }, timeout: timeoutMs }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => {
        try {
          resolve({ ok: res.statusCode === 200, body: JSON.parse(data) });
        } catch {
          resolve({ ok: false });
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ ok: false }));
  });
}

/** Steady GET and POST traffic through the proxy until stopped (scripts/traffic.ts: 2 clients, 24 requests/s); counts what failed. */
export function steadyTraffic() {
  return traffic({ port: PROXY_PORT, clients: 2, rate: 24 });
}

export function psql(sql: string): string {
  return docker('exec', `${ENV}-db-1`, 'psql', '-U', 'app', '-d', 'app', '-Atc', sql);
}

/** The container running a replica (`e2e-backend-1` → `e2e-backend-1-<revision>` for start-first services). */
export function containerOf(replica: string): string {
  const c = containers().find((x) => x.replica === replica && x.state === 'running') ?? containers().find((x) => x.replica === replica);
  if (!c) throw new Error(`no container runs ${replica}`);
  return c.name;
}

/** Appends a measured figure to .stackyard/e2e-report.json (read by the issue note / README). */
export function report(key: string, value: unknown): void {
  const file = path.join(ROOT, '.stackyard', 'e2e-report.json');
  const data = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  data[key] = value;
  fs.writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  console.log(`[e2e report] ${key}: ${JSON.stringify(value)}`);
}
