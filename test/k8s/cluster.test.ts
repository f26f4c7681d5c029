/**
 * `npm run test:k8s`: the `cluster` environment (seed 000) on a real single-node cluster
 * (scripts/k8s-cluster.sh), from the manifests `synth:k8s` writes and the Secrets `secrets:k8s`
 * builds. Pods really run: containerd, CNI, CoreDNS, kube-proxy, host-folder volumes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { apply, clusterUp, deployFresh, ingressUrl, k, kubectl, must, objects, podSpec, ROOT, run, SECRETS, sleep, synthVariant, Traffic, viaIngress, waitReady } from '../../scripts/lib/k8s-node';

const ENV = 'cluster';
const NS = 'platform';
const ENV_DIR = path.join(ROOT, 'environments');
const MANIFEST = path.join(ROOT, 'dist', 'kubernetes', ENV, `${ENV}.yaml`);
const API = 'api.example.com';
const kn = (args: readonly string[], input?: string) => k(['-n', NS, ...args], input);

interface Pod {
  metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string };
  status: {
    phase: string;
    containerStatuses?: { name: string; ready: boolean; state: { running?: { startedAt: string } } }[];
    conditions?: { type: string; status: string }[];
    initContainerStatuses?: { name: string; state: { terminated?: { exitCode: number; finishedAt: string } } }[];
  };
}
const pods = (selector: string): Pod[] => JSON.parse(kn(['get', 'pods', '-l', selector, '-o', 'json'])).items;
const isReady = (p: Pod) => !p.metadata.deletionTimestamp && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const replicaOf = (body: string) => (JSON.parse(body) as { replica: string }).replica;

let objs: ReturnType<typeof objects> = [];
const workloads = () => objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');

// one deployment for the whole file (a fresh namespace), also when -t picks single tests
beforeAll(() => {
  clusterUp();
  must(run('node', ['dist/scripts/synth-k8s.js']), 'synth:k8s');
  objs = objects(fs.readFileSync(MANIFEST, 'utf8'));
  deployFresh(ENV, NS, objs);
}, 5_400_000);

describe('the cluster environment on a real node', () => {
  it('every workload becomes Ready and the migration Job completes', () => {
    const job = objs.find((o) => o.kind === 'Job')!;
    kn(['wait', '--for=condition=complete', `job/${job.metadata!.name}`, '--timeout=600s']);
    for (const w of workloads()) {
      kn(['rollout', 'status', `${w.kind!.toLowerCase()}/${w.metadata!.name}`, '--timeout=600s']);
    }
    const status = JSON.parse(kn(['get', 'deployments,statefulsets', '-o', 'json'])).items as { metadata: { name: string }; spec: { replicas: number }; status: { readyReplicas?: number } }[];
    expect(status.length).toBe(workloads().length);
    for (const s of status) expect(`${s.metadata.name} ${s.status.readyReplicas ?? 0}`).toBe(`${s.metadata.name} ${s.spec.replicas}`);
  }, 1_200_000);

  it('the backend starts only after the migration Job completed', () => {
    const job = objs.find((o) => o.kind === 'Job')!;
    const done = JSON.parse(kn(['get', 'job', job.metadata!.name!, '-o', 'json'])).status.completionTime as string;
    expect(done).toBeTruthy();
    // every workload that waits for the Job, and each of its pods
    const gated = objs.filter((o) => (podSpec(o)?.initContainers ?? []).some((c: { name: string }) => c.name === `wait-for-${job.metadata!.name!.replace(/-[0-9a-f]{8}$/, '')}`));
    expect(gated.map((o) => o.metadata!.name)).toContain('backend');
    for (const w of gated) {
      const ps = pods(`app.kubernetes.io/name=${w.metadata!.name}`).filter((p) => !p.metadata.deletionTimestamp);
      expect(ps.length).toBeGreaterThan(0);
      for (const p of ps) {
        const wait = p.status.initContainerStatuses!.find((c) => c.name.startsWith('wait-for-prestart'))!;
        expect(wait.state.terminated?.exitCode).toBe(0);
        for (const c of p.status.containerStatuses!) {
          expect(Date.parse(c.state.running!.startedAt), `${p.metadata.name}/${c.name}`).toBeGreaterThanOrEqual(Date.parse(done) - 1000);
        }
      }
    }
  });

  it('requests through the Traefik ingress reach every backend replica, and only the routes', async () => {
    const base = ingressUrl();
    const names = new Set(pods('app.kubernetes.io/name=backend').filter(isReady).map((p) => p.metadata.name));
    expect(names.size).toBe(3);
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const r = await viaIngress(base, API, '/api/v1/whoami');
      expect(r.status, r.body).toBe(200);
      seen.add(replicaOf(r.body));
    }
    expect([...seen].sort()).toEqual([...names].sort());
    // Host(`example.com`) || Host(`www.example.com`): the frontend by either name
    for (const host of ['example.com', 'www.example.com']) {
      const r = await viaIngress(base, host, '/');
      expect(r.status, host).toBe(200);
      expect(replicaOf(r.body)).toMatch(/^frontend-/);
    }
    // Host(`api.example.com`) && PathPrefix(`/api`): neither another path nor another host reaches the backend
    expect((await viaIngress(base, API, '/other')).status).toBe(404);
    expect((await viaIngress(base, 'unknown.example.com', '/api/v1/whoami')).status).toBe(404);
  });

  it('secrets are files in the pods and never in the workload objects', () => {
    const backend = pods('app.kubernetes.io/name=backend')[0].metadata.name;
    expect(kn(['exec', backend, '-c', 'backend', '--', 'cat', '/run/secrets/JWT_SECRET'])).toBe(SECRETS.JWT_SECRET);
    expect(kn(['exec', backend, '-c', 'backend', '--', 'sh', '-c', 'env'])).not.toContain(SECRETS.JWT_SECRET);
    const url = kn(['exec', backend, '-c', 'backend', '--', 'cat', '/run/secrets/DATABASE_URL']);
    expect(url).toContain(encodeURIComponent(SECRETS.DB_PASSWORD));
    const yaml = kn(['get', 'deployments,statefulsets,jobs,cronjobs,pods,services,configmaps', '-o', 'yaml']);
    expect(yaml.length).toBeGreaterThan(1000);
    for (const [name, value] of Object.entries(SECRETS)) expect(yaml, name).not.toContain(value);
  });

  it('Postgres keeps its rows when its pod is deleted', async () => {
    const psql = (sql: string) => kn(['exec', 'db-0', '-c', 'db', '--', 'psql', '-U', 'app', '-d', 'app', '-tAc', sql]).trim();
    psql('CREATE TABLE IF NOT EXISTS survives (v text)');
    psql("INSERT INTO survives VALUES ('kept')");
    const before = psql("SELECT count(*) FROM events WHERE kind = 'prestart-done'");
    expect(Number(before)).toBeGreaterThan(0);
    const uid = kn(['get', 'pod', 'db-0', '-o', 'jsonpath={.metadata.uid}']);
    kn(['delete', 'pod', 'db-0', '--wait=true', '--timeout=120s']);
    for (let i = 0; i < 120; i++) {
      const r = kubectl(['-n', NS, 'get', 'pod', 'db-0', '-o', 'jsonpath={.metadata.uid}']);
      if (r.status === 0 && r.stdout && r.stdout !== uid) break;
      await sleep(1000);
    }
    kn(['rollout', 'status', 'statefulset/db', '--timeout=300s']);
    expect(kn(['get', 'pod', 'db-0', '-o', 'jsonpath={.metadata.uid}'])).not.toBe(uid);
    expect(psql('SELECT v FROM survives')).toBe('kept');
    expect(psql("SELECT count(*) FROM events WHERE kind = 'prestart-done'")).toBe(before);
  }, 600_000);
});

describe('updates of the cluster environment on a real node', () => {
  it('the singleton never runs twice, also during an update', async () => {
    waitReady(NS, objs);
    const sel = 'app.kubernetes.io/name=orchestrator';
    const before = pods(sel).map((p) => p.metadata.name);
    expect(before).toHaveLength(1);
    const variant = synthVariant(ENV_DIR, ENV, (s) => {
      s.orchestrator.env = { ...(s.orchestrator.env as object), STACKYARD_TEST_ROUND: '2' };
    });
    apply(variant);
    // sampled while the Deployment replaces its pod: never two with a running container
    let most = 0;
    const seen = new Set<string>();
    for (let i = 0; i < 1200; i++) {
      const ps = pods(sel);
      most = Math.max(most, ps.filter((p) => p.status.containerStatuses?.some((c) => c.state.running)).length);
      for (const p of ps) seen.add(p.metadata.name);
      if (ps.length === 1 && !before.includes(ps[0].metadata.name) && isReady(ps[0])) break;
      await sleep(200);
    }
    const after = pods(sel);
    expect(after).toHaveLength(1);
    expect(before).not.toContain(after[0].metadata.name);
    expect(isReady(after[0])).toBe(true);
    expect(most).toBe(1);
    expect(seen.size).toBe(2);
  }, 600_000);

  it('a failing migration Job keeps the old backend serving, and nothing waiting for it starts', async () => {
    waitReady(NS, objs);
    const job = objs.find((o) => o.kind === 'Job')!.metadata!.name!;
    const old = pods('app.kubernetes.io/name=backend').filter(isReady).map((p) => p.metadata.name).sort();
    expect(old).toHaveLength(3);
    // the migration of the next release fails (the demo prestart exits 1 with FAIL=1)
    const variant = synthVariant(ENV_DIR, ENV, (s) => {
      s.prestart.env = { ...(s.prestart.env as object), FAIL: '1' };
    });
    const failing = variant.find((o) => o.kind === 'Job')!.metadata!.name!;
    expect(failing).not.toBe(job);
    const traffic = new Traffic(ingressUrl(), API, '/api/v1/whoami');
    try {
      apply(variant);
      let failed = 0;
      for (let i = 0; i < 600 && failed === 0; i++) {
        failed = Number(kn(['get', 'job', failing, '-o', 'jsonpath={.status.failed}']) || 0);
        await sleep(500);
      }
      expect(failed).toBeGreaterThan(0);
      await sleep(10_000); // requests keep flowing while the new backend pod waits
      const now = pods('app.kubernetes.io/name=backend').filter((p) => !p.metadata.deletionTimestamp);
      const fresh = now.filter((p) => !old.includes(p.metadata.name));
      expect(fresh.length).toBeGreaterThan(0);
      for (const p of fresh) {
        expect(isReady(p), p.metadata.name).toBe(false);
        expect(p.status.containerStatuses?.some((c) => c.state.running) ?? false, `${p.metadata.name} started its container`).toBe(false);
      }
      expect(now.filter(isReady).map((p) => p.metadata.name).sort()).toEqual(old);
    } finally {
      await traffic.stop();
    }
    console.log(`failing Job: ${traffic.replies.length} requests through the ingress, ${traffic.failed.length} failed, slowest ${Math.max(...traffic.replies.map((r) => r.ms))} ms`);
    expect(traffic.replies.length).toBeGreaterThan(50);
    expect(traffic.failed).toEqual([]);
    expect(new Set(traffic.replies.map((r) => replicaOf(r.body)))).toEqual(new Set(old));
    // fixed: the release as it was, and the failed Job removed (as README says to)
    apply(objs);
    kn(['delete', 'job', failing, '--wait=true']);
    waitReady(NS, objs);
  }, 1_200_000);
});
