/**
 * `npm run test:k8s`: the `cluster` environment (seed 000) on a real single-node cluster
 * (scripts/k8s-cluster.sh), from the manifests `synth:k8s` writes and the Secrets `secrets:k8s`
 * builds. Pods really run: containerd, CNI, CoreDNS, kube-proxy, host-folder volumes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusterUp, fitCpuRequests, imagesOf, k, kubectl, loadImages, must, NODE, nodeLabels, objects, podSpec, ROOT, run, SECRETS, secretsEnv, sleep, toYaml } from './node';

const ENV = 'cluster';
const NS = 'platform';
const MANIFEST = path.join(ROOT, 'dist', 'kubernetes', ENV, `${ENV}.yaml`);
const kn = (args: readonly string[], input?: string) => k(['-n', NS, ...args], input);

interface Pod {
  metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string };
  status: {
    phase: string;
    containerStatuses?: { name: string; ready: boolean; state: { running?: { startedAt: string } } }[];
    initContainerStatuses?: { name: string; state: { terminated?: { exitCode: number; finishedAt: string } } }[];
  };
}
const pods = (selector: string): Pod[] => JSON.parse(kn(['get', 'pods', '-l', selector, '-o', 'json'])).items;

let objs: ReturnType<typeof objects> = [];
const workloads = () => objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');

describe('the cluster environment on a real node', () => {
  beforeAll(() => {
    clusterUp();
    must(run('node', ['dist/scripts/synth-k8s.js']), 'synth:k8s');
    objs = objects(fs.readFileSync(MANIFEST, 'utf8'));
    loadImages(imagesOf(objs));
    for (const [key, value] of Object.entries(nodeLabels(objs))) k(['label', 'node', NODE, '--overwrite', `${key}=${value}`]);
    // a fresh namespace each run: the Job, claims and Secrets of an earlier run are gone
    kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--timeout=120s']);
    must(run('bash', ['scripts/k8s-cluster.sh', 'recycle-volumes']), 'recycle-volumes');
    k(['create', 'namespace', NS]);
    const secrets = must(run('node', ['dist/scripts/k8s-secrets.js', ENV], { env: secretsEnv() }), 'secrets:k8s');
    k(['apply', '-f', '-'], secrets);
    k(['apply', '-f', '-'], toYaml(fitCpuRequests(objs)));
  }, 5_400_000);

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
