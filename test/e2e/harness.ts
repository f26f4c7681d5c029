/**
 * End-to-end harness: a real Docker engine (scripts/engine-docker.sh), real OpenTofu and
 * providers (scripts/engine.sh), real images (scripts/images.sh), deploys through
 * scripts/deploy.sh (`cdktf deploy` on OpenTofu). Nothing here is mocked.
 */
import type { SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { steadyTraffic as traffic } from '../../scripts/traffic';
import * as shared from './shared';
import { engineEnv, httpRequest, keptSecrets, ROOT, runAsync, runSync, withSecretVersions, type RunResult, type Watch } from './shared';

export { ROOT, runAsync, withSecretVersions, type RunResult, type Watch } from './shared';
export const ENV = 'e2e';
export const ENV_DIR = path.join(ROOT, '.stackyard', 'e2e-environments');
export const STACK_DIR = path.join(ROOT, 'cdktf.out', 'stacks', ENV);
export const PROXY_PORT = 18001;

/**
 * One random value per declared secret and the state passphrase; the tests assert none of them
 * ever shows up. Kept in .stackyard/e2e-secrets.json (see keptSecrets).
 */
export const SECRETS: Record<string, string> = keptSecrets(
  path.join(ROOT, '.stackyard', 'e2e-secrets.json'),
  ['DB_PASSWORD', 'REDIS_PASSWORD', 'JWT_SECRET', 'CRYPTOPANIC_API_KEY', 'NEWSCATCHER_API_KEY', 'NANSEN_API_KEY', 'STATE_PASSPHRASE'],
  'e2e',
);

export function toolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return engineEnv(ENV_DIR, SECRETS, extra);
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

export function deploy(o: E2eOptions = {}, watch: Watch = {}, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  writeEnvironment(o);
  return runAsync('bash', ['scripts/deploy.sh', ENV], toolEnv(env), watch);
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return runSync(cmd, args, opts.env ?? toolEnv(), { cwd: opts.cwd });
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

/** Resource addresses a plan would change, with their actions. */
export function plannedChanges(): { address: string; actions: string[] }[] {
  return shared.plannedChanges(tofu, 'e2e.plan');
}

/** The environment's containers on the test engine (`replica` stable, `name` with a revision for start-first services). */
export function containers(): shared.EnvContainer[] {
  return shared.environmentContainers(docker, ENV);
}

/** One request through the proxy. */
export function probe(host = 'api.localhost', pathname = '/api/', timeoutMs = 3000): Promise<{ ok: boolean; body?: any }> {
  // a 200 whose body is not the app's JSON (a proxy's own page) counts as failed
  return httpRequest({ address: '127.0.0.1', port: PROXY_PORT, path: pathname, host, timeoutMs }).then((r) => ({ ok: r.ok && typeof r.body === 'object', body: r.body }));
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
export const report = shared.reporter(path.join(ROOT, '.stackyard', 'e2e-report.json'), 'e2e report');
