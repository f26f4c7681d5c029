/**
 * Turns a bundled environment or example into one that runs on this machine's Docker engine,
 * for `npm run test:converge`. What it changes, and why:
 *
 * - name: `cv-<name>`, so nothing collides with the real environment or the e2e suite (`e2e`);
 * - hosts: every host becomes the one local engine. Docker network names are per environment
 *   (`<env>-private`), so two hosts of one environment cannot share an engine: services keep
 *   their settings but all run on host `local` (worker pools get their replicas there, at most 2);
 * - images: the local stand-ins scripts/images.sh builds: Postgres, Redis, Traefik and Adminer
 *   stand-ins for those kinds, the demo app (test/images/demo-app) in every application role
 *   (serving HTTP on the declared port, else looping as a worker), and a generic stand-in
 *   (test/images/standin) for Prometheus, Grafana, Jaeger, Alertmanager and Ofelia (named by
 *   scheduler.image), which serves their health endpoints and stops on SIGTERM;
 * - published ports: renumbered from `portBase` (one block per stack, so stacks run in parallel);
 * - cpus: at most the engine's CPU count (Docker refuses more), keeping the value's form;
 * - GitHub resources, registry logins, NFS volumes and NFS servers are left out (no GitHub, no
 *   registry; an NFS server is privileged, which this engine's sandbox cannot start, and NFS
 *   volumes need one); the state is local.
 * Everything else (replicas, resources, healthcheck timings, secrets, routes, volumes) is kept:
 * those are what must converge.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPartialFile, loadEnvironment } from '../../lib/config/load';
import type { EnvironmentConfig, ServiceConfig } from '../../lib/config/schema';
import { STATE_PASSPHRASE_VARIABLE } from '../../lib/deploy/encryption';

export const CONVERGE_PREFIX = 'cv-';
/** Demo application image (test/images/demo-app), every application role. */
export const APP_IMAGE = { image: 'stackyard/demo-app', tag: '1' };
/** Generic stand-in (test/images/standin) for kinds without a stand-in of their own. */
export const STANDIN_IMAGE = { image: 'stackyard-test/standin', tag: '1' };
/** The tag the generic stand-in also carries under prom/alertmanager (its image is not configurable). */
export const ALERTMANAGER_STANDIN_TAG = 'stackyard-standin';
/** Ports the generic stand-in answers HTTP on (the kinds' health endpoints). */
export const STANDIN_HTTP_PORTS = [3000, 9090, 9093, 14269, 16686];

export interface ConvergeOptions {
  /** Docker endpoint of the local engine. @default unix:///var/run/docker.sock */
  readonly docker?: string;
  /** First host port of this stack's block. */
  readonly portBase: number;
  /** Ports in the block. @default 50 */
  readonly portCount?: number;
  /** CPUs of the engine: larger limits are lowered to it. */
  readonly cpuLimit: number;
}

type Json = Record<string, unknown>;
type Svc = Json & { kind: ServiceConfig['kind'] };

export const LOCAL_HOST = 'local';
/** Ports at the end of each block for worker pools (sequential per host across pools). */
const POOL_PORTS = 10;

/** The converge form of a loaded environment: a complete environment file (no `extends`), as a plain object. */
export function rewriteForConverge(config: EnvironmentConfig, o: ConvergeOptions): Json {
  if (config.platform !== 'docker') throw new Error(`${config.name} is a ${config.platform} environment; only Docker environments converge on the engine`);
  const count = o.portCount ?? 50;
  let next = o.portBase;
  /** Each published port gets its own local one (hosts merged into one must not collide). */
  const port = (_published: number): number => {
    if (next >= o.portBase + count - POOL_PORTS) throw new Error(`${config.name}: more than ${count - POOL_PORTS} published ports`);
    return next++;
  };
  const cpus = (res: { cpus?: number; memory?: string }) => (res.cpus !== undefined && res.cpus > o.cpuLimit ? { ...res, cpus: o.cpuLimit } : res);
  const release = config.release ? { tag: APP_IMAGE.tag, images: [APP_IMAGE.image] } : undefined;

  const services: Record<string, Svc> = {};
  // worker pools allocate sequential ports from basePort per host: one shared block for all of them
  const poolBase = o.portBase + count - POOL_PORTS;
  for (const [name, svc0] of Object.entries(config.services)) {
    const svc = structuredClone(svc0) as unknown as Svc;
    if ('host' in svc && svc.host !== undefined) svc.host = LOCAL_HOST;
    if ('resources' in svc) svc.resources = cpus(svc.resources as { cpus?: number });
    if ('mounts' in svc) svc.mounts = {};
    switch (svc.kind) {
      case 'traefik':
        Object.assign(svc, { image: 'stackyard-test/traefik', version: '3.6' });
        svc.entrypoints = Object.fromEntries(Object.entries(svc.entrypoints as Record<string, number>).map(([k, p]) => [k, port(p)]));
        if (svc.dashboard) svc.dashboard = { port: port((svc.dashboard as { port: number }).port) };
        break;
      case 'postgres':
        Object.assign(svc, { image: 'stackyard-test/postgres', tag: '17' });
        break;
      case 'redis':
        Object.assign(svc, { image: 'stackyard-test/redis', tag: '7' });
        break;
      case 'adminer':
        svc.version = '5';
        break;
      case 'prometheus': case 'grafana': case 'jaeger':
        Object.assign(svc, { image: STANDIN_IMAGE.image, version: STANDIN_IMAGE.tag });
        break;
      case 'nfs-server':
        continue; // privileged: this engine's sandbox cannot start it (and nothing mounts it here)
      case 'alertmanager':
        svc.version = ALERTMANAGER_STANDIN_TAG;
        break;
      case 'postgres-backup':
        delete svc.nfsVolume;
        break;
      case 'worker-pool': {
        const total = Object.values(svc.hosts as Record<string, number>).reduce((a, b) => a + b, 0);
        Object.assign(svc, { image: APP_IMAGE.image, tag: APP_IMAGE.tag, command: demoCommand('worker'), hosts: { [LOCAL_HOST]: Math.min(total, 2) }, basePort: poolBase });
        break;
      }
      default:
        appRole(svc, release !== undefined);
    }
    for (const key of ['publish', 'uiPort', 'otlpPort'] as const) if (typeof svc[key] === 'number') svc[key] = port(svc[key] as number);
    if (svc.ports) {
      svc.ports = Object.fromEntries(Object.entries(svc.ports as Record<string, number | { container: number; publish?: number }>).map(([k, p]) =>
        [k, typeof p === 'object' && p.publish !== undefined ? { ...p, publish: port(p.publish) } : p]));
    }
    services[name] = svc;
  }

  const out: Json = {
    ...structuredClone(config) as unknown as Json,
    name: `${CONVERGE_PREFIX}${config.name}`,
    partial: false,
    hosts: { [LOCAL_HOST]: { docker: o.docker ?? 'unix:///var/run/docker.sock', address: '127.0.0.1', sshOptions: [] } },
    state: { backend: 'local' },
    registries: [],
    nfs: {},
    // named, not left to the default mcuadros/ofelia:v0.3.13 (which images.sh tags on the stand-in)
    scheduler: { image: `${STANDIN_IMAGE.image}:${STANDIN_IMAGE.tag}` },
    services,
  };
  delete out.extends;
  delete out.github;
  if (release) out.release = release;
  else delete out.release;
  return out;
}

function demoCommand(role: 'serve' | 'worker' | 'prestart'): string[] {
  return ['python3', '/app/app.py', role];
}

/** Application kinds run the demo app: a job its prestart role, HTTP services `serve` on their port, the rest `worker`. */
function appRole(svc: Svc, released: boolean): void {
  const httpPort = (svc.port as number | undefined) ?? firstContainerPort(svc.ports as Record<string, number | { container: number }> | undefined);
  // released services (no tag) keep following the release, which now names the demo app
  Object.assign(svc, { image: APP_IMAGE.image, tag: svc.tag === undefined && released ? undefined : APP_IMAGE.tag });
  delete svc.entrypoint;
  if (svc.kind === 'celery-worker' || svc.kind === 'celery-beat' || svc.kind === 'scheduled-job') return; // their commands come from the construct; the demo image has a `celery` that loops
  if (svc.kind === 'job') svc.command = demoCommand('prestart');
  else if (httpPort !== undefined) {
    svc.command = demoCommand('serve');
    svc.env = { ...(svc.env as Json), PORT: httpPort };
  } else svc.command = demoCommand('worker');
}

function firstContainerPort(ports: Record<string, number | { container: number }> | undefined): number | undefined {
  const first = Object.values(ports ?? {})[0];
  return first === undefined ? undefined : typeof first === 'number' ? first : first.container;
}

export interface ConvergeTarget {
  /** Environment file, relative to the repository root. */
  readonly file: string;
  /** Name of the original environment. */
  readonly name: string;
  /** Name of its converge copy. */
  readonly convergeName: string;
  readonly config: EnvironmentConfig;
}

/** Every bundled environment and every example that deploys to Docker hosts (partial files and Kubernetes ones left out). */
export function convergeTargets(root: string): ConvergeTarget[] {
  const files = [
    ...fs.readdirSync(path.join(root, 'environments')).map((f) => path.join('environments', f)),
    ...fs.readdirSync(path.join(root, 'examples')).flatMap((d) =>
      fs.statSync(path.join(root, 'examples', d)).isDirectory() ? fs.readdirSync(path.join(root, 'examples', d)).map((f) => path.join('examples', d, f)) : []),
  ].filter((f) => /\.ya?ml$/.test(f)).sort();
  return files
    .filter((f) => !isPartialFile(path.join(root, f)))
    .map((file) => ({ file, config: loadEnvironment(path.join(root, file)).config }))
    .filter(({ config }) => config.platform === 'docker')
    .map(({ file, config }) => ({ file, name: config.name, convergeName: `${CONVERGE_PREFIX}${config.name}`, config }));
}

/** Writes the converge copy of a target as `<dir>/<convergeName>.yaml` (JSON is YAML) and returns its path. */
export function writeConvergeEnvironment(target: ConvergeTarget, dir: string, o: ConvergeOptions): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${target.convergeName}.yaml`);
  fs.writeFileSync(file, `# generated by test/converge/rewrite.ts from ${target.file}\n${JSON.stringify(rewriteForConverge(target.config, o), null, 2)}\n`);
  return file;
}

/**
 * The variables a converge copy needs at deploy time (every declared secret, and the state
 * passphrase: the copy's state is local and encrypted). The release tag has a default.
 */
export function convergeSecretNames(config: EnvironmentConfig): string[] {
  return [...new Set([...config.secrets, STATE_PASSPHRASE_VARIABLE])].sort();
}

/**
 * Gives a converge copy its secrets the way an operator does: `TF_VAR_<NAME>=<value>` lines in
 * `.stackyard/secrets/<env>.env` (mode 600), which scripts/deploy.sh reads. Values are random per
 * run and never printed. (`--generate-secrets` is refused for copies marked `production: true`.)
 */
export function writeConvergeSecrets(target: ConvergeTarget, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lines = convergeSecretNames(target.config).map((n) => `TF_VAR_${n}=cv-${crypto.randomBytes(18).toString('hex')}\n`);
  fs.writeFileSync(file, lines.join(''), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}
