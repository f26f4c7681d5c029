/**
 * Harness of `npm run test:k8s` and `npm run bench:rolling:k8s`: a real single-node cluster
 * (scripts/k8s-cluster.sh: kubelet, containerd, CNI, CoreDNS, Traefik, host-folder volumes), the
 * locally built images loaded into it, and an environment's rendered manifests applied with the
 * Secrets `secrets:k8s` builds. Nothing mocked.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import { synthKubernetes } from '../synth-k8s';

/** The checkout: the folder above this file holding package.json (from scripts/lib or dist/scripts/lib). */
export const ROOT = ((): string => {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json')) || path.basename(d) === 'dist') d = path.dirname(d);
  return d;
})();
const SCRIPT = path.join(ROOT, 'scripts', 'k8s-cluster.sh');
const TOOLS = process.env.STACKYARD_TOOLS ?? path.join(ROOT, '.tools');
const STATE = path.join(process.env.STACKYARD_SCRATCH ?? '/var/tmp/stackyard', 'k8s-node');
export const KUBECONFIG = path.join(STATE, 'pki', 'admin.kubeconfig');
export const NODE = 'stackyard-node';

/** One random value per secret of the reference platform and seed 003; the tests assert none leaks. */
export const SECRETS: Record<string, string> = Object.fromEntries(
  ['DB_PASSWORD', 'REDIS_PASSWORD', 'JWT_SECRET', 'CRYPTOPANIC_API_KEY', 'NEWSCATCHER_API_KEY', 'NANSEN_API_KEY', 'GF_ADMIN_PASSWORD'].map((n) => [
    n,
    `k8s-canary-${n.toLowerCase().replace(/_/g, '-')}-${crypto.randomBytes(6).toString('hex')}`,
  ]),
);

export function run(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', input: opts.input, env: opts.env ?? process.env, timeout: opts.timeout ?? 600_000, maxBuffer: 64 << 20 });
}

export function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export function kubectl(args: readonly string[], input?: string): SpawnSyncReturns<string> {
  return run(path.join(TOOLS, 'bin', 'kubectl'), [`--kubeconfig=${KUBECONFIG}`, ...args], { input });
}

export const k = (args: readonly string[], input?: string): string => must(kubectl(args, input), `kubectl ${args.join(' ')}`);

const PROMETHEUS_STANDIN = 'stackyard-test/prometheus:debian-trixie';

/** The Docker image that stands in for a reference the manifests name, or undefined when none is needed. */
export function standIn(ref: string): string | undefined {
  // TimescaleDB is PostgreSQL with an extension the model never loads: the same entrypoint, user and data folder
  if (/^(docker\.io\/)?(library\/)?postgres:/.test(ref) || ref.startsWith('timescale/timescaledb:')) return 'postgres:17';
  if (/^(docker\.io\/)?(library\/)?redis:/.test(ref)) return 'redis:7';
  // a tag ending in -v2 is the demo app's version 2 (APP_VERSION=2): a real new image for a rollout
  if (ref.startsWith('ghcr.io/acme/backend:')) return ref.endsWith('-v2') ? 'stackyard-test/acme-backend:2' : 'stackyard-test/acme-backend:1';
  if (ref.startsWith('ghcr.io/acme/frontend:')) return 'stackyard-test/acme-frontend:1';
  if (ref.startsWith('registry.k8s.io/kubectl:')) return 'stackyard-test/kubectl:1';
  // real Prometheus from Debian's package with the official image's interface (test/images/prometheus)
  if (/^(docker\.io\/)?prom\/prometheus:/.test(ref)) return PROMETHEUS_STANDIN;
  return undefined;
}

export interface Obj { kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown> }

/** The pod spec of a workload object (Deployment, StatefulSet, Job, CronJob), if it has one. */
export function podSpec(o: Obj): Record<string, any> | undefined {
  const s = o.spec as any;
  return s?.jobTemplate?.spec?.template?.spec ?? s?.template?.spec;
}

export function objects(yamlText: string): Obj[] {
  return parseAllDocuments(yamlText).map((d) => d.toJS() as Obj).filter((o) => o && o.kind);
}

export function imagesOf(objs: readonly Obj[]): string[] {
  const refs = new Set<string>();
  for (const o of objs) {
    const p = podSpec(o);
    for (const c of [...(p?.initContainers ?? []), ...(p?.containers ?? [])]) refs.add(c.image);
  }
  return [...refs].sort();
}

/** Node labels the manifests select on (node pools); one node carries them all. */
export function nodeLabels(objs: readonly Obj[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const o of objs) {
    for (const [key, value] of Object.entries((podSpec(o)?.nodeSelector ?? {}) as Record<string, string>)) {
      if (labels[key] !== undefined && labels[key] !== value) throw new Error(`one node cannot be in pools ${key}=${labels[key]} and ${key}=${value}`);
      labels[key] = value;
    }
  }
  return labels;
}

/**
 * The test node has 2 cores: CPU requests are lowered to `cpu` so the whole environment fits
 * (limits stay as rendered). Everything else is applied exactly as `synth:k8s` wrote it.
 */
export function fitCpuRequests(objs: readonly Obj[], cpu = '50m'): Obj[] {
  const copy = JSON.parse(JSON.stringify(objs)) as Obj[];
  for (const o of copy) {
    const p = podSpec(o);
    for (const c of [...(p?.initContainers ?? []), ...(p?.containers ?? [])]) {
      if (c.resources?.requests?.cpu) c.resources.requests.cpu = cpu;
    }
  }
  return copy;
}

export const toYaml = (objs: readonly Obj[]): string => objs.map((o) => stringify(o)).join('---\n');

export function clusterUp(): void {
  must(run('bash', [SCRIPT, 'up'], { timeout: 1_800_000 }), 'k8s-cluster.sh up');
}

/** `k8s-cluster.sh down`: fails when anything of the cluster is left on the host (it names what). */
export function clusterDown(): void {
  must(run('bash', [SCRIPT, 'down'], { timeout: 600_000 }), 'k8s-cluster.sh down');
}

/**
 * Builds the stand-in images and saves what the manifests use in one turn on the shared Docker
 * engine (under its lock), then imports them into the node's containerd without Docker.
 */
export function loadImages(refs: readonly string[]): void {
  const specs = refs.map((r) => {
    const s = standIn(r);
    if (!s) throw new Error(`no local image stands in for ${r}`);
    return `${s}=${r}`;
  });
  reuseSaved(refs);
  if (!savedImagesCurrent(refs)) buildAndSave(refs, specs);
  must(run('bash', [SCRIPT, 'import-images', ...specs], { timeout: 1_200_000 }), 'import-images');
}

/** A tarball `save-images` wrote for the reference the manifests use, and the stamp of the inputs it was built from. */
const savedTar = (ref: string) => path.join(STATE, 'images', `${ref.replace(/[/:]/g, '_')}.tar`);
const stampOf = (ref: string) => savedTar(ref).replace(/\.tar$/, '.inputs');

/** The files a stand-in is built from (besides its base image): the Dockerfile, the demo app, the kubectl binary. */
export function inputsOf(standin: string | undefined): string[] {
  const images = path.join(ROOT, 'test', 'images');
  const demo = path.join(images, 'demo-app');
  if (standin?.startsWith('stackyard-test/acme-')) return [path.join(images, 'acme-app', 'Dockerfile'), ...fs.readdirSync(demo).sort().map((f) => path.join(demo, f))];
  if (standin?.startsWith('stackyard-test/kubectl:')) return [path.join(images, 'kubectl', 'Dockerfile'), path.join(TOOLS, 'bin', 'kubectl')];
  if (standin === PROMETHEUS_STANDIN) return [path.join(images, 'prometheus', 'Dockerfile')];
  return [];
}

/**
 * A digest of a stand-in's name and the contents of its inputs (never their times: a clean clone's
 * files are all new, and a tarball saved from the same inputs is as good as a new one).
 */
export function digestOf(standin: string, files: readonly string[]): string {
  const h = crypto.createHash('sha256').update(`${standin}\n`);
  for (const f of files) {
    h.update(`${path.basename(f)} `);
    h.update(fs.existsSync(f) ? crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex') : 'missing');
    h.update('\n');
  }
  return h.digest('hex');
}
const inputsDigest = (ref: string): string => digestOf(standIn(ref) ?? ref, inputsOf(standIn(ref)));

/**
 * The Docker engine is shared and busy: a saved tarball is reused when its stamp is the digest of
 * its stand-in's current inputs (its Dockerfile, the demo app, the kubectl binary). A tarball with
 * no stamp, or another one, is saved again. After scripts/images.sh rebuilt postgres/redis/the
 * demo app's base image, STACKYARD_K8S_RELOAD=1 forces a new turn.
 */
export function savedImagesCurrent(refs: readonly string[]): boolean {
  if (process.env.STACKYARD_K8S_RELOAD === '1') return false;
  return refs.every((r) => fs.existsSync(savedTar(r)) && fs.existsSync(stampOf(r)) && fs.readFileSync(stampOf(r), 'utf8').trim() === inputsDigest(r));
}

/**
 * A stand-in already saved for another reference (postgres:17 for postgres:17.6, then for
 * TimescaleDB) is linked under the new one instead of being saved again through the Docker engine.
 * Saved names are references with `/` and `:` as `_`: the last `_` is read as the tag's colon.
 */
function reuseSaved(refs: readonly string[]): void {
  const dir = path.join(STATE, 'images');
  if (!fs.existsSync(dir)) return;
  const saved = fs.readdirSync(dir).filter((f) => f.endsWith('.tar')).map((f) => {
    const name = f.slice(0, -'.tar'.length), i = name.lastIndexOf('_');
    return `${name.slice(0, i).replace(/_/g, '/')}:${name.slice(i + 1)}`;
  });
  for (const r of refs.filter((x) => !savedImagesCurrent([x]))) {
    const other = saved.find((o) => o !== r && standIn(o) !== undefined && standIn(o) === standIn(r) && savedImagesCurrent([o]) && fs.existsSync(savedTar(o).replace(/\.tar$/, '.id')));
    if (!other) continue;
    for (const f of [savedTar(r), stampOf(r)]) fs.rmSync(f, { force: true });
    fs.copyFileSync(savedTar(other).replace(/\.tar$/, '.id'), savedTar(r).replace(/\.tar$/, '.id'));
    fs.copyFileSync(stampOf(other), stampOf(r));
    fs.linkSync(savedTar(other), savedTar(r));
  }
}

const DOCKER_LOCK = '/tmp/stackyard-docker.lock';

/**
 * Whether a process above `pid` is `flock ... LOCK ...`, which holds LOCK for everything it runs
 * (`flock -o /tmp/stackyard-docker.lock npm run test:all`): taking it again below would wait forever.
 */
export function lockHeldAbove(lock: string, pid = process.pid): boolean {
  const parentOf = (p: number): number => {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return 0;
    }
  };
  for (let p = parentOf(pid); p > 1; p = parentOf(p)) {
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
    } catch {
      return false;
    }
    if (path.basename(argv[0]) === 'flock' && argv.includes(lock)) return true;
  }
  return false;
}

function buildAndSave(refs: readonly string[], specs: readonly string[]): void {
  const ctx = fs.mkdtempSync(path.join(ROOT, '.stackyard-kubectl-'));
  try {
    fs.copyFileSync(path.join(TOOLS, 'bin', 'kubectl'), path.join(ctx, 'kubectl'));
    fs.copyFileSync(path.join(ROOT, 'test', 'images', 'kubectl', 'Dockerfile'), path.join(ctx, 'Dockerfile'));
    const q = (a: string) => `'${a}'`;
    const script = [
      'set -e',
      // the demo app's images as scripts/images.sh builds them (the layer cache makes an unchanged one instant)
      'docker build -q -t stackyard/demo-app:1 --build-arg VERSION=1 test/images/demo-app >/dev/null',
      'docker build -q -t stackyard/demo-app:2 --build-arg VERSION=2 test/images/demo-app >/dev/null',
      'docker build -q -t stackyard-test/acme-backend:1 --build-arg PORT=8000 test/images/acme-app >/dev/null',
      'docker build -q -t stackyard-test/acme-backend:2 --build-arg PORT=8000 --build-arg DEMO_VERSION=2 test/images/acme-app >/dev/null',
      'docker build -q -t stackyard-test/acme-frontend:1 --build-arg PORT=80 test/images/acme-app >/dev/null',
      `docker build -q -t stackyard-test/kubectl:1 ${q(ctx)} >/dev/null`,
      ...(specs.some((sp) => sp.startsWith(`${PROMETHEUS_STANDIN}=`)) ? [`docker build -q -t ${PROMETHEUS_STANDIN} test/images/prometheus >/dev/null`] : []),
      `bash ${q(SCRIPT)} save-images ${specs.map(q).join(' ')}`,
    ].join('\n');
    const locked = lockHeldAbove(DOCKER_LOCK) ? ['bash', '-c', script] : ['flock', '-o', DOCKER_LOCK, 'bash', '-c', script];
    must(run(locked[0], locked.slice(1), { timeout: 3_600_000 }), 'building and saving the images');
    for (const r of refs) fs.writeFileSync(stampOf(r), `${inputsDigest(r)}\n`);
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}

export function secretsEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ...Object.fromEntries(Object.entries(SECRETS).map(([n, v]) => [`TF_VAR_${n}`, v])) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The manifests of a variant of an environment, rendered by synth:k8s's own function: the
 * environment's folder copied, `edit` applied to its parsed environment file (e.g. a new tag or an
 * env value for one service), everything else as written.
 */
export function synthVariant(dir: string, env: string, edit: (services: Record<string, Record<string, unknown>>) => void): Obj[] {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stackyard-k8s-variant-'));
  try {
    const src = path.join(tmp, 'src');
    fs.mkdirSync(src);
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'))) fs.copyFileSync(path.join(dir, f), path.join(src, f));
    const file = path.join(src, `${env}.yaml`);
    const doc = parseDocument(fs.readFileSync(file, 'utf8'));
    const js = doc.toJS() as { services: Record<string, Record<string, unknown>> };
    edit(js.services);
    doc.set('services', doc.createNode(js.services));
    fs.writeFileSync(file, doc.toString());
    const [out] = synthKubernetes([src], path.join(tmp, 'out')).filter((f) => path.basename(f) === `${env}.yaml`);
    return objects(fs.readFileSync(out, 'utf8'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Where Traefik, the node's ingress controller, answers (scripts/k8s-cluster.sh ingress-url). */
export function ingressUrl(): string {
  return must(run('bash', [SCRIPT, 'ingress-url']), 'ingress-url').trim();
}

/** A reply: its HTTP status (0 when refused or timed out), body, and milliseconds taken. */
export interface Reply { status: number; body: string; ms: number }

/**
 * One request with a Host header; a refused request, or one with no answer in `timeoutMs` (10 s:
 * these 2-core machines run other jobs too), is status 0. Self-contained (no outer names): the
 * Traffic worker thread runs its source.
 */
function request(httpModule: typeof http, agent: http.Agent, base: string, host: string, pathname: string, timeoutMs: number): Promise<Reply> {
  const started = Date.now();
  return new Promise((resolve) => {
    const done = (status: number, body: string) => resolve({ status, body, ms: Date.now() - started });
    const req = httpModule.get(`${base}${pathname}`, { headers: { Host: host }, agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done(res.statusCode ?? 0, body));
      res.on('error', (e: Error) => done(0, String(e)));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: Error) => done(0, String(e)));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
/** One request through the ingress (Traefik), with the route's Host header. */
export function viaIngress(base: string, host: string, pathname: string, timeoutMs = 10_000): Promise<Reply> {
  return request(http, agent, base, host, pathname, timeoutMs);
}

/**
 * Steady traffic through the ingress until stopped, from a worker thread: the caller's synchronous
 * kubectl calls (an apply takes seconds on a busy machine) never delay a reply or fire a timeout.
 * Every reply is counted; failures are those not 2xx.
 */
export class Traffic {
  replies: Reply[] = [];
  private readonly worker: Worker;
  constructor(base: string, host: string, pathname: string, workers = 4, pauseMs = 100) {
    const source = `
      const { parentPort, workerData: w } = require('node:worker_threads');
      const http = require('node:http');
      const request = ${request.toString()};
      const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      const replies = [];
      let running = true;
      const loops = Array.from({ length: w.workers }, async () => {
        while (running) {
          replies.push(await request(http, agent, w.base, w.host, w.pathname, 10000));
          await new Promise((r) => setTimeout(r, w.pauseMs));
        }
      });
      parentPort.on('message', async () => { running = false; await Promise.all(loops); parentPort.postMessage(replies); });`;
    this.worker = new Worker(source, { eval: true, workerData: { base, host, pathname, workers, pauseMs } });
  }
  get failed(): Reply[] {
    return this.replies.filter((r) => r.status < 200 || r.status > 299);
  }
  async stop(): Promise<this> {
    const replies = new Promise<Reply[]>((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
    });
    this.worker.postMessage('stop');
    this.replies = await replies;
    await this.worker.terminate();
    return this;
  }
}

/**
 * A fresh namespace with the environment's Secrets and manifests (the Job, claims and Secrets of
 * an earlier run are gone), on a node labelled for its pools, with its images loaded. The
 * environment is read from `environments/`, or from `environmentsDir`.
 */
export function deployFresh(env: string, ns: string, objs: readonly Obj[], alsoImages: readonly string[] = [], environmentsDir?: string): void {
  loadImages([...new Set([...imagesOf(objs), ...alsoImages])].sort());
  freshNamespace(env, ns, objs, environmentsDir);
  apply(objs);
}

/** The namespace deleted and created again with the environment's Secrets, the node labelled for the pools `objs` select. */
export function freshNamespace(env: string, ns: string, objs: readonly Obj[], environmentsDir?: string): void {
  for (const [key, value] of Object.entries(nodeLabels(objs))) k(['label', 'node', NODE, '--overwrite', `${key}=${value}`]);
  kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--timeout=180s']);
  must(run('bash', [SCRIPT, 'recycle-volumes']), 'recycle-volumes');
  k(['create', 'namespace', ns]);
  const secrets = must(run('node', [path.join(ROOT, 'dist', 'scripts', 'k8s-secrets.js'), env], { env: { ...secretsEnv(), ...(environmentsDir ? { ENVIRONMENTS_DIR: environmentsDir } : {}) } }), 'secrets:k8s');
  if (secrets.trim()) k(['apply', '-f', '-'], secrets);
}

/** Applies manifests as rendered, CPU requests fitted to the 2-core node. */
export function apply(objs: readonly Obj[]): void {
  k(['apply', '-f', '-'], toYaml(fitCpuRequests(objs)));
}

/** Waits for the Jobs to complete and every Deployment and StatefulSet to be rolled out. */
export function waitReady(ns: string, objs: readonly Obj[], timeout = '600s'): void {
  for (const o of objs.filter((x) => x.kind === 'Job')) k(['-n', ns, 'wait', '--for=condition=complete', `job/${o.metadata!.name}`, `--timeout=${timeout}`]);
  for (const o of objs.filter((x) => x.kind === 'Deployment' || x.kind === 'StatefulSet')) {
    k(['-n', ns, 'rollout', 'status', `${o.kind!.toLowerCase()}/${o.metadata!.name}`, `--timeout=${timeout}`]);
  }
}
