/**
 * Fleet harness: the three-host fleet of scripts/fleet.sh (network namespaces, one dockerd and
 * one sshd each, a registry on core), deploys through scripts/deploy.sh over ssh://, and
 * questions asked of each host's engine over its own unix socket (never through the deploy's path).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { loadEnvironment } from '../../lib/config/load';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ENV = 'fleet';
export const ENV_DIR = path.join(ROOT, 'test', 'fleet', 'environments');
export const STACK_DIR = path.join(ROOT, 'cdktf.out', 'stacks', ENV);
export const STATE_FILE = path.join(ROOT, '.stackyard', 'state', `${ENV}.tfstate`);
const TOOLS = process.env.STACKYARD_TOOLS ?? path.join(ROOT, '.tools');
const SCRATCH = process.env.STACKYARD_SCRATCH ?? '/var/tmp/stackyard';
export const FLEET_JSON = path.join(SCRATCH, 'fleet', 'fleet.json');

export interface FleetHost { address: string; docker: string; socket: string; namespace: string }
export interface Fleet {
  dir: string;
  sshConfig: string;
  registry: { address: string; username: string; passwordFile: string };
  hosts: Record<string, FleetHost>;
}
export const fleet = (): Fleet => JSON.parse(fs.readFileSync(FLEET_JSON, 'utf8'));

/**
 * One random value per secret the environment declares (the registry's comes from the fleet);
 * none may ever show up. Kept in .stackyard/fleet-secrets.json so runs against a reused fleet
 * agree with the password Postgres was initialised with.
 */
const environment = loadEnvironment(path.join(ENV_DIR, `${ENV}.yaml`)).config;
export const SECRETS: Record<string, string> = (() => {
  const file = path.join(ROOT, '.stackyard', 'fleet-secrets.json');
  const names = environment.secrets.filter((s) => s !== 'FLEET_REGISTRY_PASSWORD');
  const kept = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  if (names.every((n) => n in kept)) return kept;
  const fresh = Object.fromEntries(names.map((n) => [n, `fleet-canary-${n.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`]));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(fresh), { mode: 0o600 });
  return fresh;
})();

/** Container name → host, as the environment file places them (`<env>-<service>-<n>`). */
export function placements(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, s] of Object.entries(environment.services)) {
    if (!('host' in s) || !s.host) throw new Error(`service ${name} of the fleet environment names no host`);
    const replicas = 'replicas' in s && typeof s.replicas === 'number' ? s.replicas : 1;
    for (let i = 1; i <= replicas; i++) out[`${ENV}-${name}-${i}`] = s.host;
  }
  return out;
}

export function toolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const f = fs.existsSync(FLEET_JSON) ? fleet() : undefined;
  return {
    ...process.env,
    PATH: `${path.join(TOOLS, 'bin')}:${process.env.PATH}`,
    TF_CLI_CONFIG_FILE: path.join(TOOLS, 'tofurc'),
    TERRAFORM_BINARY_NAME: 'tofu',
    CHECKPOINT_DISABLE: '1',
    ENVIRONMENTS_DIR: ENV_DIR,
    ...Object.fromEntries(Object.entries(SECRETS).map(([k, v]) => [`TF_VAR_${k}`, v])),
    ...(f ? { TF_VAR_FLEET_REGISTRY_PASSWORD: fs.readFileSync(f.registry.passwordFile, 'utf8').trim() } : {}),
    ...extra,
  };
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? toolEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs });
}

/** scripts/fleet.sh with its output shown (up takes a while on a cold machine). */
export function fleetCommand(...args: string[]): void {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'fleet.sh'), ...args], { cwd: ROOT, env: toolEnv(), stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/fleet.sh ${args.join(' ')} failed (exit ${r.status})`);
}

export interface RunResult { code: number | null; output: string; seconds: number }

/** `npm run deploy -- fleet`, asynchronously (the test probes traffic meanwhile); killed after timeoutMs. */
export function deploy(timeoutMs = 900_000): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'deploy', '--', ENV], { cwd: ROOT, env: toolEnv(), detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[fleet harness] deploy killed after ${timeoutMs} ms\n`;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, seconds: Math.round((Date.now() - t0) / 100) / 10 });
    });
  });
}

/** The docker CLI against one host's engine over its own unix socket. */
export function dockerOn(host: string, ...args: string[]): string {
  const r = run('docker', args, { env: { ...process.env, DOCKER_HOST: fleet().hosts[host].socket } });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} on ${host} failed: ${r.stderr}`);
  return r.stdout.trim();
}

export interface ContainerState { name: string; host: string; state: string; health?: string; exitCode: number; imageId: string }

/** Every container of the environment on every host, as each host's engine reports it. */
export function containers(): ContainerState[] {
  const out: ContainerState[] = [];
  for (const host of Object.keys(fleet().hosts)) {
    const ids = dockerOn(host, 'ps', '-aq', '--filter', `label=stackyard.environment=${ENV}`).split('\n').filter(Boolean);
    if (!ids.length) continue;
    for (const c of JSON.parse(dockerOn(host, 'inspect', ...ids))) {
      out.push({ name: c.Name.replace(/^\//, ''), host, state: c.State.Status, health: c.State.Health?.Status, exitCode: c.State.ExitCode, imageId: c.Image });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function tofu(...args: string[]): SpawnSyncReturns<string> {
  return run('tofu', args, { cwd: STACK_DIR });
}

/** One request through the proxy on core. */
export function probe(host = 'api.localhost', pathname = '/api/', timeoutMs = 3000): Promise<{ ok: boolean; body?: any }> {
  const core = fleet().hosts.core.address;
  return new Promise((resolve) => {
    const req = http.get({ host: core, port: 8001, path: pathname, headers: { Host: host }, timeout: timeoutMs }, (res) => {
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

/** Steady traffic through the proxy until stopped; counts what failed. */
export function steadyTraffic(intervalMs = 100) {
  let stop = false;
  const counts = { sent: 0, failed: 0 };
  const loop = (async () => {
    while (!stop) {
      const r = await probe('api.localhost', '/api/', 2000);
      counts.sent++;
      if (!r.ok) counts.failed++;
      await new Promise((res) => setTimeout(res, intervalMs));
    }
  })();
  return { counts, stop: async () => { stop = true; await loop; return counts; } };
}

/** Appends a measured figure to .stackyard/fleet-report.json. */
export function report(key: string, value: unknown): void {
  const file = path.join(ROOT, '.stackyard', 'fleet-report.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const data = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  data[key] = value;
  fs.writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  console.log(`[fleet report] ${key}: ${JSON.stringify(value)}`);
}
