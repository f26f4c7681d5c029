/**
 * Fleet harness: the three-host fleet of scripts/fleet.sh (network namespaces, one dockerd and
 * one sshd each, a registry on core), deploys through scripts/deploy.sh over ssh://, and
 * questions asked of each host's engine over its own unix socket (never through the deploy's path).
 */
import type { SpawnSyncReturns } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironment } from '../../lib/config/load';
import { steadyTraffic as traffic } from '../../scripts/traffic';
import { engineEnv, httpRequest, keptSecrets, reporter, ROOT, runAsync, runSync, type EnvContainer, type RunResult, type Watch } from '../e2e/shared';
import * as shared from '../e2e/shared';

export { ROOT };
const DEFAULT_SCRATCH = '/var/tmp/stackyard';
const SCRATCH = process.env.STACKYARD_SCRATCH ?? DEFAULT_SCRATCH;
const SOURCE_ENV_DIR = path.join(ROOT, 'test', 'fleet', 'environments');

/**
 * The fleet's environment files name its ssh config in the default scratch folder
 * (`sshOptions: [-F, /var/tmp/stackyard/fleet/ssh/config]`). With another STACKYARD_SCRATCH (a
 * cold CI measurement keeps its caches apart), the suite deploys copies that name that folder's
 * config, their relative `extends:` to files outside made absolute.
 */
function environmentsFor(scratch: string): string {
  if (path.resolve(scratch) === DEFAULT_SCRATCH) return SOURCE_ENV_DIR;
  const dir = path.join(scratch, 'fleet-environments');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(SOURCE_ENV_DIR).filter((n) => n.endsWith('.yaml'))) {
    const text = fs.readFileSync(path.join(SOURCE_ENV_DIR, f), 'utf8')
      .replaceAll(`${DEFAULT_SCRATCH}/fleet/`, `${path.resolve(scratch)}/fleet/`)
      .replace(/^extends: (\.\.\/\S+)$/m, (_, rel: string) => `extends: ${path.resolve(SOURCE_ENV_DIR, rel)}`);
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}
export const ENV_DIR = environmentsFor(SCRATCH);
export const FLEET_JSON = path.join(SCRATCH, 'fleet', 'fleet.json');

export interface FleetHost { address: string; docker: string; socket: string; namespace: string }
export interface Fleet {
  dir: string;
  sshConfig: string;
  registry: { address: string; username: string; passwordFile: string };
  hosts: Record<string, FleetHost>;
}
export const fleet = (): Fleet => JSON.parse(fs.readFileSync(FLEET_JSON, 'utf8'));

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return runSync(cmd, args, opts.env ?? process.env, opts);
}

/** scripts/fleet.sh with its output shown (up takes a while on a cold machine); seed 003's images too. */
export function fleetCommand(...args: string[]): void {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'fleet.sh'), ...args], { cwd: ROOT, env: { ...process.env, STACKYARD_FLEET_SEED003: '1' }, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/fleet.sh ${args.join(' ')} failed (exit ${r.status})`);
}

/** fleetCommand without blocking the event loop (vitest's global teardown: it is also ending the test workers meanwhile). */
export function fleetCommandAsync(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts', 'fleet.sh'), ...args], { cwd: ROOT, env: { ...process.env, STACKYARD_FLEET_SEED003: '1' }, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`scripts/fleet.sh ${args.join(' ')} failed (exit ${code})`))));
  });
}

/** The docker CLI against one host's engine over its own unix socket. */
export function dockerOn(host: string, ...args: string[]): string {
  const r = run('docker', args, { env: { ...process.env, DOCKER_HOST: fleet().hosts[host].socket } });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} on ${host} failed: ${r.stderr}`);
  return r.stdout.trim();
}

export interface ContainerState extends EnvContainer { host: string }

/**
 * One environment of test/fleet/environments on the fleet: its secrets (random values kept in
 * .stackyard/<env>-secrets.json; the registry's comes from the fleet), its deploys through
 * `npm run deploy` over ssh://, and its containers as each host's engine reports them.
 */
export function fleetEnvironment(env: string) {
  const STACK_DIR = path.join(ROOT, 'cdktf.out', 'stacks', env);
  const STATE_FILE = path.join(ROOT, '.stackyard', 'state', `${env}.tfstate`);
  const config = loadEnvironment(path.join(ENV_DIR, `${env}.yaml`)).config;
  /** One random value per secret the environment declares and the state passphrase; none may ever show up. */
  const SECRETS: Record<string, string> = keptSecrets(
    path.join(ROOT, '.stackyard', `${env}-secrets.json`),
    [...config.secrets.filter((s) => s !== 'FLEET_REGISTRY_PASSWORD'), 'STATE_PASSPHRASE'],
    env,
  );
  /** The deploy's environment: SECRETS and, once the fleet is up, its registry's password. */
  const toolEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const f = fs.existsSync(FLEET_JSON) ? fleet() : undefined;
    const registry: Record<string, string> = f ? { FLEET_REGISTRY_PASSWORD: fs.readFileSync(f.registry.passwordFile, 'utf8').trim() } : {};
    return engineEnv(ENV_DIR, { ...SECRETS, ...registry }, extra);
  };
  const tofu = (...args: string[]): SpawnSyncReturns<string> => run('tofu', args, { cwd: STACK_DIR, env: shared.withSecretVersions(STACK_DIR, toolEnv()) });
  return {
    ENV: env, STACK_DIR, STATE_FILE, SECRETS, config, toolEnv, tofu,
    /** `npm run deploy -- <env>`, asynchronously (watch: its process group and output); killed after timeoutMs. */
    deploy: (timeoutMs = 900_000, watch: Omit<Watch, 'timeoutMs'> = {}): Promise<RunResult> =>
      runAsync('npm', ['run', '--silent', 'deploy', '--', env], toolEnv(), { timeoutMs, ...watch }),
    /** `npx stackyard <args>` for this environment (hosts, down, status, ...). */
    stackyard: (...args: string[]): Promise<RunResult> => runAsync('npx', ['stackyard', ...args], toolEnv(), { timeoutMs: 600_000 }),
    /** Every container of the environment on every host, as each host's engine reports it. */
    containers: (): ContainerState[] => Object.keys(fleet().hosts)
      .flatMap((host) => shared.environmentContainers((...args) => dockerOn(host, ...args), env).map((c) => ({ ...c, host })))
      .sort((a, b) => a.name.localeCompare(b.name)),
    /** Resource addresses a plan would change, with their actions. */
    plannedChanges: () => shared.plannedChanges(tofu, `${env}.plan`),
  };
}

const fleetEnv = fleetEnvironment('fleet');
export const { ENV, STACK_DIR, STATE_FILE, SECRETS, toolEnv, deploy, containers, tofu, plannedChanges, stackyard } = fleetEnv;

/** Replica → host, as the fleet environment file places them (`<env>-<service>-<n>`). */
export function placements(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, s] of Object.entries(fleetEnv.config.services)) {
    if (!('host' in s) || !s.host) throw new Error(`service ${name} of the fleet environment names no host`);
    const replicas = 'replicas' in s && typeof s.replicas === 'number' ? s.replicas : 1;
    for (let i = 1; i <= replicas; i++) out[`${ENV}-${name}-${i}`] = s.host;
  }
  return out;
}

/** One request through the proxy on core. */
export function probe(host = 'api.localhost', pathname = '/api/', timeoutMs = 3000): Promise<{ ok: boolean; body?: any }> {
  return httpRequest({ address: fleet().hosts.core.address, port: 8001, path: pathname, host, timeoutMs }).then((r) => ({ ok: r.ok && typeof r.body === 'object', body: r.body }));
}

/** Steady GET and POST traffic through the proxy on core until stopped (scripts/traffic.ts); counts what failed. */
export function steadyTraffic() {
  return traffic({ address: fleet().hosts.core.address, port: 8001, clients: 2, rate: 10 });
}

/** Appends a measured figure to .stackyard/fleet-report.json. */
export const report = reporter(path.join(ROOT, '.stackyard', 'fleet-report.json'), 'fleet report');
