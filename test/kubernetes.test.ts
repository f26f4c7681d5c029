/** The Kubernetes rendering of the same model: mappings, determinism, secrets, agreement with Docker. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';
import { environmentFiles } from '../lib/environments';
import { DRAIN_SECONDS, SECRETS_CHECKSUM } from '../lib/kubernetes/render';
import { STOP_GRACE_SECONDS } from '../lib/service';
import { parseRouteRule } from '../lib/kubernetes/routes';
import { synthKubernetes } from '../scripts/synth-k8s';
import { errors, shared, tempDir, writeFiles } from './helpers';

const root = path.resolve(__dirname, '..');
/** The Kubernetes environments, rendered by the first test that needs them (see `shared`). */
const rendered = shared(() => {
  const out = tempDir();
  return { out, files: synthKubernetes([path.join(root, 'environments'), path.join(root, 'examples', 'trading-homelab')], out) };
});
const docs = (env: string) => parseAllDocuments(fs.readFileSync(path.join(rendered().out, env, `${env}.yaml`), 'utf8')).map((d) => d.toJS());
const find = (env: string, kind: string, name: string) => docs(env).find((d: any) => d.kind === kind && d.metadata.name === name);
/** The Docker rendering of staging, synthesized now (not read from a snapshot, which could be stale). */
function freshDocker(env: string): any {
  const dir = tempDir();
  buildApp(environmentFiles(path.join(root, 'environments')), dir).app.synth();
  return JSON.parse(fs.readFileSync(path.join(dir, 'stacks', env, 'cdk.tf.json'), 'utf8'));
}
/** The homelab example with its cluster file edited, rendered to Kubernetes. */
function homelab(edit: (text: string) => string): any[] {
  const dir = tempDir();
  fs.copyFileSync(path.join(root, 'examples', 'trading-homelab', 'base.yaml'), path.join(dir, 'base.yaml'));
  fs.writeFileSync(path.join(dir, 'cluster.yaml'), edit(fs.readFileSync(path.join(root, 'examples', 'trading-homelab', 'cluster.yaml'), 'utf8')));
  const outDir = tempDir();
  const [f] = synthKubernetes([dir], outDir);
  return parseAllDocuments(fs.readFileSync(f, 'utf8')).map((d) => d.toJS());
}
const podTemplates = (all: any[]) =>
  all.flatMap((d: any) => (d.kind === 'CronJob' ? [[d, d.spec.jobTemplate.spec.template]] : d.spec?.template ? [[d, d.spec.template]] : [])) as [any, any][];

describe('Kubernetes manifests', () => {
  it('are written for every Kubernetes environment and match their snapshots', async () => {
    const { out, files } = rendered();
    expect(files.map((f) => path.relative(out, f)).sort()).toEqual(['cluster/cluster.yaml', 'homelab-cluster/homelab-cluster.yaml']);
    for (const env of ['cluster', 'homelab-cluster']) {
      await expect(fs.readFileSync(path.join(out, env, `${env}.yaml`), 'utf8')).toMatchFileSnapshot(`__snapshots__/kubernetes/${env}.yaml`);
    }
  });

  it('are deterministic: a second render is byte-identical', () => {
    const { out } = rendered();
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

  it('a rolling Deployment\'s pods keep serving while they drain, then get the model\'s stop grace period', () => {
    const spec = (kind: string, name: string) => find('cluster', kind, name).spec.template.spec;
    // backend and frontend serve through the ingress: a terminating pod drains before its stop signal
    for (const name of ['backend', 'frontend']) {
      expect(spec('Deployment', name).containers[0].lifecycle, name).toEqual({ preStop: { sleep: { seconds: DRAIN_SECONDS } } });
      expect(spec('Deployment', name).terminationGracePeriodSeconds, name).toBe(STOP_GRACE_SECONDS.default + DRAIN_SECONDS);
    }
    // nothing to drain to: the singleton and the StatefulSet stop before their replacement starts
    expect(spec('Deployment', 'orchestrator').containers[0].lifecycle).toBeUndefined();
    expect(spec('StatefulSet', 'db').containers[0].lifecycle).toBeUndefined();
    // Postgres gets its minute to shut down cleanly (Kubernetes' own default would be 30 s)
    expect(spec('StatefulSet', 'db').terminationGracePeriodSeconds).toBe(STOP_GRACE_SECONDS.stateful);
    // no port, no Service: no drain, and the stop grace period of a plain service (Docker's default)
    expect(spec('Deployment', 'celery-worker').containers[0].lifecycle).toBeUndefined();
    expect(spec('Deployment', 'celery-worker').terminationGracePeriodSeconds).toBe(STOP_GRACE_SECONDS.default);
    // a Job's template (and so its name) is untouched
    expect(docs('cluster').find((d: any) => d.kind === 'Job').spec.template.spec.terminationGracePeriodSeconds).toBeUndefined();
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
    const pod = find('cluster', 'Deployment', 'backend').spec.template.spec;
    expect(pod.serviceAccountName).toBe('stackyard-job-waiter');
    expect(pod.initContainers[0].command).toEqual(['kubectl', 'wait', '--for=condition=complete', '--timeout=600s', `job/${job.metadata.name}`]);
    expect(find('cluster', 'Deployment', 'frontend').spec.template.spec.initContainers).toBeUndefined();
  });

  it('a Job that runs after another waits for that Job by its name, and is renamed (so run again) when the other\'s spec changes, whatever their order in the file', () => {
    // the later job comes first in the file and in name order: the name it waits on is worked out first
    const render = (firstCommand: string) => {
      const dir = writeFiles({ 'k.yaml': `name: k\nplatform: kubernetes\nkubernetes: { namespace: k, nodePools: { general: {} } }\nservices:\n  later: { kind: job, image: x/a, tag: "1", command: [b], after: [zfirst] }\n  zfirst: { kind: job, image: x/a, tag: "1", command: [${firstCommand}] }\n  api: { kind: service, image: x/a, tag: "1", after: [later] }\n  lone: { kind: job, image: x/a, tag: "1", command: [c] }\n` });
      const [f] = synthKubernetes([dir], tempDir());
      const all = parseAllDocuments(fs.readFileSync(f, 'utf8')).map((d) => d.toJS());
      const named = (prefix: string) => all.find((d: any) => d.kind === 'Job' && d.metadata.name.startsWith(`${prefix}-`));
      return { first: named('zfirst'), second: named('later'), lone: named('lone'), api: all.find((d: any) => d.kind === 'Deployment' && d.metadata.name === 'api') };
    };
    const a = render('a');
    expect(a.first.spec.template.spec.initContainers).toBeUndefined();
    // a Job nobody waits for is named by its spec too
    expect(a.lone.metadata.name).toMatch(/^lone-[0-9a-f]{8}$/);
    expect(a.second.spec.template.spec.initContainers.map((c: any) => c.command.at(-1))).toEqual([`job/${a.first.metadata.name}`]);
    expect(a.api.spec.template.spec.initContainers.map((c: any) => c.command.at(-1))).toEqual([`job/${a.second.metadata.name}`]);
    const b = render('changed');
    expect(b.first.metadata.name).not.toBe(a.first.metadata.name);
    expect(b.second.metadata.name).not.toBe(a.second.metadata.name);
    expect(b.second.spec.template.spec.initContainers.map((c: any) => c.command.at(-1))).toEqual([`job/${b.first.metadata.name}`]);
  });

  it('a Job waits for the database it uses to be ready, and retries a bounded number of times within its timeout', () => {
    const job = docs('cluster').find((d: any) => d.kind === 'Job');
    // a first deploy: the Job starts while Postgres runs initdb; a failed run is retried, not final
    expect(job.spec.backoffLimit).toBe(4);
    expect(job.spec.activeDeadlineSeconds).toBe(600);
    const pod = job.spec.template.spec;
    expect(pod.initContainers).toEqual([{ name: 'wait-for-db', image: 'registry.k8s.io/kubectl:v1.36.3', command: ['kubectl', 'rollout', 'status', 'statefulset/db', '--timeout=600s'] }]);
    expect(pod.serviceAccountName).toBe('stackyard-job-waiter');
    // the waiter may read the workloads it is asked about
    expect(find('cluster', 'Role', 'stackyard-job-waiter').rules).toContainEqual({ apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'watch'] });
    // the scheduled backup waits for its database the same way, and retries too
    const cron = find('homelab-cluster', 'CronJob', 'db-backup').spec.jobTemplate.spec;
    expect(cron.backoffLimit).toBe(4);
    expect(cron.template.spec.initContainers.map((c: any) => c.command.slice(0, 4))).toEqual([['kubectl', 'rollout', 'status', 'statefulset/db']]);
    expect(find('homelab-cluster', 'Role', 'stackyard-job-waiter').rules).toEqual([{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'watch'] }]);
    // every Job and CronJob waits for every rendered service it uses, by the workload that runs it
    for (const env of ['cluster', 'homelab-cluster']) {
      const workloads = new Set(docs(env).filter((d: any) => ['Deployment', 'StatefulSet'].includes(d.kind)).map((d: any) => `${d.kind.toLowerCase()}/${d.metadata.name}`));
      for (const [d, t] of podTemplates(docs(env)).filter(([d]) => d.kind === 'Job' || d.kind === 'CronJob')) {
        for (const c of t.spec.initContainers ?? []) {
          if (c.command[1] === 'rollout') expect(workloads, `${d.metadata.name} waits for ${c.command[3]}`).toContain(c.command[3]);
        }
      }
    }
  });

  it('a Job that uses Redis waits for its StatefulSet to be ready, as for Postgres (Redis asks its consumers to wait for health)', () => {
    const dir = tempDir();
    const base = fs.readFileSync(path.join(root, 'environments', 'base.yaml'), 'utf8');
    expect(base).toContain('    command: [bash, scripts/prestart.sh]\n    uses: [db]\n');
    fs.writeFileSync(path.join(dir, 'base.yaml'), base.replace('    command: [bash, scripts/prestart.sh]\n    uses: [db]\n', '    command: [bash, scripts/prestart.sh]\n    uses: [db, redis]\n'));
    fs.copyFileSync(path.join(root, 'environments', 'cluster.yaml'), path.join(dir, 'cluster.yaml'));
    const job = parseAllDocuments(fs.readFileSync(synthKubernetes([dir], tempDir())[0], 'utf8')).map((d) => d.toJS()).find((d: any) => d.kind === 'Job');
    expect(job.spec.template.spec.initContainers.map((c: any) => c.command.slice(0, 4))).toEqual([
      ['kubectl', 'rollout', 'status', 'statefulset/db'],
      ['kubectl', 'rollout', 'status', 'statefulset/redis'],
    ]);
  });

  it('a Job whose pod template changes gets a new name (its template is immutable), and the same spec keeps its name', () => {
    const name = (all: any[]) => all.find((d: any) => d.kind === 'Job')?.metadata.name;
    const a = docs('cluster').find((d: any) => d.kind === 'Job');
    const dir = tempDir();
    fs.copyFileSync(path.join(root, 'environments', 'base.yaml'), path.join(dir, 'base.yaml'));
    const cluster = fs.readFileSync(path.join(root, 'environments', 'cluster.yaml'), 'utf8');
    fs.writeFileSync(path.join(dir, 'cluster.yaml'), cluster);
    const same = parseAllDocuments(fs.readFileSync(synthKubernetes([dir], tempDir())[0], 'utf8')).map((d) => d.toJS());
    expect(name(same)).toBe(a.metadata.name);
    // a rotated secret the job reads changes only its pod template's annotation: a new Job runs
    fs.writeFileSync(path.join(dir, 'cluster.yaml'), cluster.replace('  imagePullSecret: ghcr\n', '  imagePullSecret: ghcr\n  secretVersions: { DB_PASSWORD: 2 }\n'));
    const rotated = parseAllDocuments(fs.readFileSync(synthKubernetes([dir], tempDir())[0], 'utf8')).map((d) => d.toJS());
    expect(name(rotated)).toMatch(/^prestart-[0-9a-f]{8}$/);
    expect(name(rotated)).not.toBe(a.metadata.name);
    // and its dependents wait for the new one
    const backend = rotated.find((d: any) => d.kind === 'Deployment' && d.metadata.name === 'backend');
    expect(backend.spec.template.spec.initContainers[0].command.at(-1)).toBe(`job/${name(rotated)}`);
  });

  it('secrets are references to Secret objects, mounted as files where Docker uploads files; no value anywhere', () => {
    const pod = find('cluster', 'Deployment', 'backend').spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'secret-jwt-secret', secret: { secretName: 'jwt-secret', defaultMode: 0o400 } });
    expect(pod.volumes).toContainEqual({ name: 'file-run-secrets-database-url', secret: { secretName: 'backend-database-url', defaultMode: 0o400 } });
    // the key `npm run secrets:k8s` writes (test/kubernetes-secrets.test.ts checks every mount against its Secret)
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'secret-jwt-secret', mountPath: '/run/secrets/JWT_SECRET', subPath: 'value', readOnly: true });
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
    // the kubelet mounts NFS from the node, which has no cluster DNS: the server is the Service's fixed ClusterIP
    expect(find('homelab-cluster', 'PersistentVolume', 'ktrdr-nfs-shared').spec).toMatchObject({ accessModes: ['ReadWriteMany'], nfs: { server: '10.96.0.49', path: '/' }, persistentVolumeReclaimPolicy: 'Retain' });
    expect(find('homelab-cluster', 'Service', 'nfs').spec.clusterIP).toBe('10.96.0.49');
    for (const env of ['cluster', 'homelab-cluster']) {
      for (const pv of docs(env).filter((d: any) => d.kind === 'PersistentVolume')) expect(pv.spec.nfs.server).toMatch(/^[0-9.]+$|:/);
    }
    expect(find('homelab-cluster', 'PersistentVolumeClaim', 'nfs-shared').spec.accessModes).toEqual(['ReadWriteMany']);
    const cron = find('homelab-cluster', 'CronJob', 'db-backup');
    expect(cron.spec.schedule).toBe('0 2 * * *');
    expect(cron.spec.jobTemplate.spec.template.spec.containers[0].command[0]).toBe('sh');
  });

  it('agrees with the Docker rendering of the same model on services, replicas, ports and secrets', () => {
    // staging (Docker) and cluster (Kubernetes) extend the same base topology
    const docker = freshDocker('staging');
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

describe('Prometheus on Kubernetes', () => {
  const promConfig = (all: any[]) => all.find((d: any) => d.kind === 'ConfigMap' && d.metadata.name === 'prometheus-files').data['etc-prometheus-prometheus-yml'] as string;

  it('scrapes by Kubernetes Service names, never by the Docker target\'s container names', () => {
    const config = promConfig(docs('homelab-cluster'));
    expect(config).toContain('- job_name: "backend"\n    static_configs:\n      - targets: ["backend.ktrdr.svc:8000"]\n');
    expect(config).not.toContain('homelab-cluster-');
    // the Docker rendering of the same model keeps its container names
    const dir = tempDir();
    buildApp(environmentFiles(path.join(root, 'examples', 'trading-homelab')), dir).app.synth();
    expect(fs.readFileSync(path.join(dir, 'stacks', 'homelab', 'cdk.tf.json'), 'utf8')).toContain('homelab-backend-1:8000');
  });

  it('a service of several replicas is scraped pod by pod through a headless Service; one replica through its Service', () => {
    const all = homelab((t) => t.replace('services:\n', 'services:\n  backend: { replicas: 2 }\n  prometheus: { scrapeInterval: 5s }\n'));
    const config = promConfig(all);
    expect(config).toContain('  scrape_interval: 5s\n');
    expect(config).toContain('- job_name: "backend"\n    dns_sd_configs:\n      - names: ["backend-metrics.ktrdr.svc"]\n        type: A\n        port: 8000\n');
    const headless = all.find((d: any) => d.kind === 'Service' && d.metadata.name === 'backend-metrics');
    expect(headless.spec).toEqual({ clusterIP: 'None', selector: { 'app.kubernetes.io/name': 'backend' }, ports: [{ name: 'metrics', port: 8000, targetPort: 8000 }] });
    // only a scraped service with several pods gets one
    expect(all.filter((d: any) => d.kind === 'Service' && d.metadata.name.endsWith('-metrics')).map((d: any) => d.metadata.name)).toEqual(['backend-metrics']);
    expect(docs('homelab-cluster').filter((d: any) => d.kind === 'Service' && d.metadata.name.endsWith('-metrics'))).toEqual([]);
    // the pod reads the rendered configuration: its checksum follows it
    const checksum = (docs_: any[]) => docs_.find((d: any) => d.kind === 'StatefulSet' && d.metadata.name === 'prometheus').spec.template.metadata.annotations['stackyard.dev/files-checksum'];
    expect(checksum(all)).not.toBe(checksum(docs('homelab-cluster')));
  });

  it('a non-root image gets its claims\' roots before it starts; root images and stateless pods get nothing', () => {
    const init = (kind: string, name: string) => (find('homelab-cluster', kind, name).spec.template.spec.initContainers ?? []).filter((c: any) => c.name === 'volume-owner');
    const prom = find('homelab-cluster', 'StatefulSet', 'prometheus').spec.template.spec;
    expect(init('StatefulSet', 'prometheus')).toEqual([{
      name: 'volume-owner', image: prom.containers[0].image, command: ['chown', '65534:65534', '/prometheus'], securityContext: { runAsUser: 0 },
      volumeMounts: [{ name: 'data', mountPath: '/prometheus' }],
    }]);
    expect(init('StatefulSet', 'grafana')[0].command).toEqual(['chown', '472:0', '/var/lib/grafana']);
    expect(init('StatefulSet', 'db')).toEqual([]);
    expect(init('Deployment', 'backend')).toEqual([]);
  });
});

describe('Kubernetes pods that work on a cluster', () => {
  it('Postgres keeps its data in a folder below the volume root, where a block volume has lost+found', () => {
    for (const env of ['cluster', 'homelab-cluster']) {
      const db = find(env, 'StatefulSet', 'db').spec.template.spec.containers[0];
      const pgdata = db.env.find((e: any) => e.name === 'PGDATA').value;
      expect(pgdata).toBe('/var/lib/postgresql/data/pgdata');
      const mount = db.volumeMounts.find((m: any) => m.name === 'data').mountPath;
      expect(pgdata.startsWith(mount + '/')).toBe(true);
    }
  });

  it('every healthcheck is a startup probe covering slow starts, a readiness probe, and a more lenient liveness probe', () => {
    let checked = 0;
    for (const env of ['cluster', 'homelab-cluster']) {
      for (const [d, t] of podTemplates(docs(env))) {
        const c = t.spec.containers[0];
        if (!c.readinessProbe) continue;
        checked++;
        const at = `${env} ${d.kind} ${d.metadata.name}`;
        expect(c.livenessProbe, at).not.toEqual(c.readinessProbe);
        expect(c.livenessProbe.exec, at).toEqual(c.readinessProbe.exec);
        expect(c.livenessProbe.failureThreshold * c.livenessProbe.periodSeconds, at).toBeGreaterThan(c.readinessProbe.failureThreshold * c.readinessProbe.periodSeconds);
        expect(c.startupProbe?.exec, at).toEqual(c.readinessProbe.exec);
        // at least five minutes to come up before liveness may restart it
        expect(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds, at).toBeGreaterThanOrEqual(300);
        for (const p of [c.livenessProbe, c.readinessProbe]) expect(p.initialDelaySeconds, at).toBeUndefined();
      }
    }
    expect(checked).toBeGreaterThan(8);
    // Postgres: healthy after 10 failed checks 5 s apart, restarted only after 30, given 5 minutes to start
    const db = find('cluster', 'StatefulSet', 'db').spec.template.spec.containers[0];
    expect([db.readinessProbe.failureThreshold, db.livenessProbe.failureThreshold, db.startupProbe.failureThreshold]).toEqual([10, 30, 60]);
  });

  it('pods carry a checksum of the secret versions they read, which changes only for the pods that read a rotated secret', () => {
    const checksums = (all: any[]) => Object.fromEntries(podTemplates(all).map(([d, t]) => [`${d.kind}/${d.metadata.name}`, t.metadata.annotations?.[SECRETS_CHECKSUM]]));
    const before = checksums(homelab((t) => t));
    const after = checksums(homelab((t) => t.replace('  storageClass: local-path\n', '  storageClass: local-path\n  secretVersions: { GF_ADMIN_PASSWORD: 2 }\n')));
    const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
    expect(changed).toEqual(['StatefulSet/grafana']);
    // every pod that reads a secret carries one; version 1 is the default
    expect(before['StatefulSet/db']).toMatch(/^[0-9a-f]{16}$/);
    expect(checksums(homelab((t) => t.replace('  storageClass: local-path\n', '  storageClass: local-path\n  secretVersions: { GF_ADMIN_PASSWORD: 1 }\n')))).toEqual(before);
    // a file that embeds the secret counts: DATABASE_URL carries DB_PASSWORD
    const rotatedDb = checksums(homelab((t) => t.replace('  storageClass: local-path\n', '  storageClass: local-path\n  secretVersions: { DB_PASSWORD: 7 }\n')));
    for (const k of ['StatefulSet/db', 'Deployment/backend', 'CronJob/db-backup']) expect(rotatedDb[k], k).not.toBe(before[k]);
    expect(rotatedDb['StatefulSet/jaeger']).toBe(before['StatefulSet/jaeger']);
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
  it('a schedule with seconds: CronJobs have none', () => {
    expect(errors({ 'e.yaml': cluster('', '  sync: { kind: scheduled-job, host: general, image: x/a, tag: "1", command: [run], schedule: "*/10 * * * * *" }\n') })).toEqual([
      'e.yaml:8:85 services.sync.schedule: invalid cron expression "*/10 * * * * *": expected 5 fields (minute hour day month weekday), got 6',
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
  it('an NFS volume whose server has no fixed ClusterIP, a ClusterIP for an unknown service, a version of an undeclared secret', () => {
    const nfs = 'nfs:\n  shared: { server: files }\n';
    const services = '  files: { kind: nfs-server, host: general }\n  api: { kind: web, host: general, image: x/a, tag: "1", port: 8000, mounts: { shared: /mnt/shared } }\n';
    expect(errors({ 'e.yaml': cluster(nfs, services).replace('  nodePools', '  storageClass: s\n  nodePools') })).toEqual([
      'e.yaml:8:13 nfs.shared.server: the kubelet mounts NFS from the node, which does not resolve cluster DNS names; give the NFS server a fixed address in the cluster\'s service range with `kubernetes.clusterIPs: { files: <IP> }`',
    ]);
    expect(errors({ 'e.yaml': cluster('', '  api: { kind: web, host: general, image: x/a, tag: "1", port: 8000 }\n').replace('  nodePools', '  clusterIPs: { nope: 10.96.0.9, api: 300.1.1.1 }\n  secretVersions: { JWT_SECRET: 2, DB_PASSWORD: 3 }\n  nodePools') })).toEqual([
      'e.yaml:5:34 kubernetes.clusterIPs.api: expected an IP address in the cluster\'s service range, e.g. 10.96.0.49 (got "300.1.1.1")',
    ]);
    expect(errors({ 'e.yaml': cluster('', '  api: { kind: web, host: general, image: x/a, tag: "1", port: 8000 }\n').replace('  nodePools', '  clusterIPs: { nope: 10.96.0.9 }\n  secretVersions: { JWT_SECRET: 2, DB_PASSWORD: 3 }\n  nodePools') })).toEqual([
      'e.yaml:5:17 kubernetes.clusterIPs.nope: unknown service "nope"; known: api',
      'e.yaml:6:21 kubernetes.secretVersions.JWT_SECRET: secret JWT_SECRET is not declared; add it to the top-level `secrets:` list',
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
      for (const f of synthKubernetes([path.join(root, 'environments'), path.join(root, 'examples', 'trading-homelab')], dir)) {
        const text = fs.readFileSync(f, 'utf8');
        for (const n of names) expect(text).not.toContain(`k8s-canary-${n}`);
      }
    } finally {
      process.env = saved;
    }
  });
});
