/** The Kubernetes rendering of the same model: mappings, determinism, secrets, agreement with Docker. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildApp, environmentFiles } from '../lib/app';
import { parseRouteRule } from '../lib/kubernetes/routes';
import { synthKubernetes } from '../scripts/synth-k8s';
import { errors, tempDir } from './helpers';

const root = path.resolve(__dirname, '..');
const out = tempDir();
const files = synthKubernetes([path.join(root, 'environments'), path.join(root, 'examples', 'trading-homelab')], out);
const docs = (env: string) => parseAllDocuments(fs.readFileSync(path.join(out, env, `${env}.yaml`), 'utf8')).map((d) => d.toJS());
const find = (env: string, kind: string, name: string) => docs(env).find((d: any) => d.kind === kind && d.metadata.name === name);
/** The Docker rendering of staging, synthesized now (not the committed snapshot, which could be stale). */
function freshStaging(): any {
  const outdir = path.join(tempDir(), 'out');
  const { app } = buildApp(environmentFiles(path.join(root, 'environments')), outdir);
  app.synth();
  return JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'staging', 'cdk.tf.json'), 'utf8'));
}

describe('Kubernetes manifests', () => {
  it('are written for every Kubernetes environment and match their snapshots', async () => {
    expect(files.map((f) => path.relative(out, f)).sort()).toEqual(['cluster/cluster.yaml', 'homelab-cluster/homelab-cluster.yaml']);
    for (const env of ['cluster', 'homelab-cluster']) {
      await expect(fs.readFileSync(path.join(out, env, `${env}.yaml`), 'utf8')).toMatchFileSnapshot(`__snapshots__/kubernetes/${env}.yaml`);
    }
  });

  it('are deterministic: a second render is byte-identical', () => {
    const again = tempDir();
    synthKubernetes([path.join(root, 'environments')], again);
    expect(fs.readFileSync(path.join(again, 'cluster', 'cluster.yaml'), 'utf8')).toBe(fs.readFileSync(path.join(out, 'cluster', 'cluster.yaml'), 'utf8'));
  });

  it('a replicated web service is a Deployment that never drops below its replicas, a Service and an Ingress', () => {
    const d = find('cluster', 'Deployment', 'backend');
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const c = d.spec.template.spec.containers[0];
    expect(c.resources).toEqual({ limits: { cpu: '1000m', memory: '768Mi' }, requests: { cpu: '1000m', memory: '768Mi' } });
    expect(c.readinessProbe.exec.command).toEqual(['curl', '-fsS', '-o', '/dev/null', 'http://localhost:8000/api/v1/utils/health-check/']);
    expect(d.spec.template.spec.nodeSelector).toEqual({ 'node.stackyard.dev/pool': 'general' });
    expect(find('cluster', 'Service', 'backend').spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 'http' }]);
    expect(find('cluster', 'Ingress', 'backend').spec).toEqual({
      ingressClassName: 'traefik',
      rules: [{ host: 'api.example.com', http: { paths: [{ path: '/api', pathType: 'Prefix', backend: { service: { name: 'backend', port: { number: 8000 } } } }] } }],
    });
    expect(find('cluster', 'Ingress', 'frontend').spec.rules.map((r: any) => r.host)).toEqual(['example.com', 'www.example.com']);
  });

  it('the singleton is one replica with the Recreate strategy, so two never run at once', () => {
    const d = find('cluster', 'Deployment', 'orchestrator');
    expect([d.spec.replicas, d.spec.strategy]).toEqual([1, { type: 'Recreate' }]);
  });

  it('Postgres and Redis are StatefulSets with retained claims of the storage class and their healthchecks as probes', () => {
    const db = find('cluster', 'StatefulSet', 'db');
    expect(db.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(db.spec.volumeClaimTemplates).toEqual([{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '10Gi' } } } }]);
    expect(db.spec.template.spec.containers[0].livenessProbe.exec.command).toEqual(['pg_isready', '-U', 'app', '-d', 'app']);
    expect(find('cluster', 'StatefulSet', 'redis').spec.template.spec.containers[0].readinessProbe.exec.command[0]).toBe('sh');
  });

  it('the one-shot job is a Job named by its spec, and dependents wait for it in an init container', () => {
    const job = docs('cluster').find((d: any) => d.kind === 'Job');
    expect(job.metadata.name).toMatch(/^prestart-[0-9a-f]{8}$/);
    expect(job.spec.backoffLimit).toBe(0);
    const pod = find('cluster', 'Deployment', 'backend').spec.template.spec;
    expect(pod.serviceAccountName).toBe('stackyard-job-waiter');
    expect(pod.initContainers[0].command).toEqual(['kubectl', 'wait', '--for=condition=complete', '--timeout=600s', `job/${job.metadata.name}`]);
    expect(find('cluster', 'Deployment', 'frontend').spec.template.spec.initContainers).toBeUndefined();
  });

  it('secrets are references to Secret objects, mounted as files where Docker uploads files; no value anywhere', () => {
    const pod = find('cluster', 'Deployment', 'backend').spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'secret-jwt-secret', secret: { secretName: 'jwt-secret', defaultMode: 0o400 } });
    expect(pod.volumes).toContainEqual({ name: 'file-run-secrets-database-url', secret: { secretName: 'backend-database-url', defaultMode: 0o400 } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'secret-jwt-secret', mountPath: '/run/secrets/JWT_SECRET', subPath: 'JWT_SECRET', readOnly: true });
    expect(docs('cluster').filter((d: any) => d.kind === 'Secret')).toEqual([]);
  });

  it('worker pools are Deployments on their node pool, announcing their pod address', () => {
    const w = find('homelab-cluster', 'Deployment', 'backtest-workers-workers');
    expect(w.spec.replicas).toBe(2);
    const env = Object.fromEntries(w.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.WORKER_PUBLIC_BASE_URL).toBe('http://$(POD_IP):5003');
    expect(env.POD_IP).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
    expect(env.KTRDR_API_URL).toBe('http://backend:8000');
    expect(w.spec.template.spec.containers[0].resources.limits).toEqual({ cpu: '1000m', memory: '3072Mi' });
  });

  it('NFS volumes are a PersistentVolume with an NFS source and a ReadWriteMany claim; the backup is a CronJob', () => {
    expect(find('homelab-cluster', 'PersistentVolume', 'ktrdr-nfs-shared').spec).toMatchObject({ accessModes: ['ReadWriteMany'], nfs: { server: 'nfs.ktrdr.svc.cluster.local', path: '/' }, persistentVolumeReclaimPolicy: 'Retain' });
    expect(find('homelab-cluster', 'PersistentVolumeClaim', 'nfs-shared').spec.accessModes).toEqual(['ReadWriteMany']);
    const cron = find('homelab-cluster', 'CronJob', 'db-backup');
    expect(cron.spec.schedule).toBe('0 2 * * *');
    expect(cron.spec.jobTemplate.spec.template.spec.containers[0].command[0]).toBe('sh');
  });

  it('agrees with the Docker rendering of the same model on services, replicas, ports and secrets', () => {
    // staging (Docker) and cluster (Kubernetes) extend the same base topology
    const docker = freshStaging();
    const dockerServices = new Map<string, number>();
    for (const c of Object.values(docker.resource.docker_container) as any[]) {
      const svc = c.labels.find((l: any) => l.label === 'stackyard.service').value;
      dockerServices.set(svc, (dockerServices.get(svc) ?? 0) + 1);
    }
    const k8sReplicas = new Map<string, number>();
    for (const d of docs('cluster')) {
      if (['Deployment', 'StatefulSet'].includes(d.kind)) k8sReplicas.set(d.metadata.name, d.spec.replicas);
      if (d.kind === 'Job') k8sReplicas.set('prestart', 1);
    }
    const expected = new Map([...dockerServices].filter(([s]) => s !== 'proxy' && s !== 'adminer'));
    expected.set('backend', 3).set('frontend', 2); // cluster.yaml's own counts
    expect(Object.fromEntries([...k8sReplicas].sort())).toEqual(Object.fromEntries([...expected].sort()));
    const dockerSecretsOf = (svc: string) => (docker.resource.docker_container[`svc_${svc.replace(/-/g, '_')}_1`].upload ?? []).map((u: any) => u.file).sort();
    for (const svc of ['backend', 'orchestrator', 'watcher', 'db']) {
      const d = find('cluster', 'Deployment', svc) ?? find('cluster', 'StatefulSet', svc);
      const mounts = d.spec.template.spec.containers[0].volumeMounts.map((m: any) => m.mountPath).filter((p: string) => p.startsWith('/run/secrets/') || p.startsWith('/usr/local/etc/redis')).sort();
      expect(mounts, svc).toEqual(dockerSecretsOf(svc));
    }
  });
});

describe('routes → Ingress rules', () => {
  it('understands Host, PathPrefix, && and ||', () => {
    expect(parseRouteRule('Host(`api.localhost`) || (Host(`192.168.0.241`) && PathPrefix(`/api`))')).toEqual([{ host: 'api.localhost' }, { host: '192.168.0.241', pathPrefix: '/api' }]);
    expect(parseRouteRule('Host(`a.example.com`, `b.example.com`)')).toEqual([{ host: 'a.example.com' }, { host: 'b.example.com' }]);
    expect(() => parseRouteRule('HeadersRegexp(`X`, `y`)')).toThrow(/has no Ingress equivalent/);
  });
});

describe('Kubernetes bad input', () => {
  const cluster = (extra: string, services = '  api: { kind: web, host: general, image: x/a, tag: "1", port: 8000, route: PathPrefix(`/api`) }\n') =>
    `name: k\nplatform: kubernetes\nkubernetes:\n  namespace: k\n  nodePools: { general: { labels: { pool: general } } }\n${extra}secrets: [DB_PASSWORD]\nservices:\n${services}`;
  it('a Docker host URL in a Kubernetes environment', () => {
    expect(errors({ 'e.yaml': cluster('hosts: { main: { docker: "ssh://deploy@host" } }\n') })).toEqual([
      'e.yaml:6:1 hosts: a Kubernetes environment has no Docker hosts; remove `hosts:` and place services on `kubernetes.nodePools` with `host:`',
    ]);
  });
  it('a stateful service with no storage class', () => {
    expect(errors({ 'e.yaml': cluster('', '  db: { kind: postgres, host: general, password: DB_PASSWORD }\n') })).toEqual([
      'e.yaml:8:3 services.db: keeps data in a volume, and a Kubernetes environment needs `kubernetes.storageClass` for its claims',
    ]);
  });
  it('a node pool that does not exist', () => {
    expect(errors({ 'e.yaml': cluster('', '  api: { kind: web, host: gpu, image: x/a, tag: "1", port: 8000 }\n') })).toEqual([
      'e.yaml:8:21 services.api.host: unknown node pool "gpu"; known: general',
    ]);
  });
  it('a singleton asked for two replicas', () => {
    expect(errors({ 'e.yaml': cluster('', '  o: { kind: singleton, host: general, image: x/o, tag: "1", replicas: 2 }\n') })).toEqual([
      'e.yaml:8:62 services.o.replicas: o is a singleton and must run exactly 1 replica, got 2; remove `replicas` or use kind: web',
    ]);
  });
  it('a route Kubernetes cannot express, and a kubernetes section on a Docker environment', () => {
    expect(errors({ 'e.yaml': cluster('', '  api: { kind: web, host: general, image: x/a, tag: "1", port: 8000, route: "Headers(`X-Beta`, `1`)" }\n') })).toEqual([
      'e.yaml:8:70 services.api.route: "Headers(`X-Beta`, `1`)" has no Ingress equivalent (use Host() and PathPrefix()); Kubernetes Ingress rules take hosts and path prefixes only',
    ]);
    expect(errors({ 'e.yaml': 'name: d\nhosts: { main: { docker: "unix:///var/run/docker.sock" } }\nkubernetes: { namespace: d, nodePools: { a: {} } }\nservices: {}\n' })).toEqual([
      'e.yaml:3:1 kubernetes: only a `platform: kubernetes` environment takes a `kubernetes:` section; remove it or set the platform',
    ]);
  });
});

describe('Kubernetes NFS and secrets', () => {
  it('an NFS volume on a cluster without ReadWriteMany support', () => {
    const text = fs.readFileSync(path.join(root, 'examples', 'trading-homelab', 'cluster.yaml'), 'utf8').replace('  storageClass: local-path', '  storageClass: local-path\n  readWriteMany: false');
    const dir = tempDir();
    for (const f of ['base.yaml']) fs.copyFileSync(path.join(root, 'examples', 'trading-homelab', f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'cluster.yaml'), text);
    expect(() => synthKubernetes([dir], tempDir())).toThrow(/nfs\.shared: an NFS volume is mounted ReadWriteMany by pods on several nodes, and this cluster declares `kubernetes.readWriteMany: false`/);
  });

  it('no secret value reaches a manifest, even with every secret set in the process environment', () => {
    const names = ['DB_PASSWORD', 'REDIS_PASSWORD', 'JWT_SECRET', 'CRYPTOPANIC_API_KEY', 'NEWSCATCHER_API_KEY', 'NANSEN_API_KEY', 'GHCR_TOKEN', 'GF_ADMIN_PASSWORD'];
    const saved = { ...process.env };
    for (const n of names) process.env[`TF_VAR_${n}`] = `k8s-canary-${n}`;
    try {
      const dir = tempDir();
      let all = '';
      for (const f of synthKubernetes([path.join(root, 'environments'), path.join(root, 'examples', 'trading-homelab')], dir)) {
        const text = fs.readFileSync(f, 'utf8');
        for (const n of names) expect(text).not.toContain(`k8s-canary-${n}`);
        all += text;
      }
      // each canary sits where its secret is consumed: the manifests do deliver every one of them
      // (GHCR_TOKEN is the registry password: the pull secret named after the registry)
      for (const n of names) expect(all, n).toContain(n === 'GHCR_TOKEN' ? 'imagePullSecrets:\n        - name: ghcr' : `secret-${n.toLowerCase().replace(/_/g, '-')}`);
    } finally {
      process.env = saved;
    }
  });
});
