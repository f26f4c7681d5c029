/**
 * Kubernetes target: renders the same target-neutral Services to manifests with cdk8s (typed
 * objects from cdk8s-plus-32's Kubernetes 1.32 API imports). Deterministic: fixed names, sorted
 * objects, no timestamps. Secret values are never rendered: pods reference Secret objects by
 * name, which `npm run secrets:k8s` creates from the same TF_VAR_* values.
 *
 *   web service  → Deployment (rolling update, maxUnavailable 0) + Service + Ingress
 *   singleton    → Deployment with one replica and the Recreate strategy (never two at once)
 *   data volumes → StatefulSet with volume claim templates, claims retained
 *   one-shot job → Job named by a hash of its spec; dependents wait in an init container
 *   schedule     → CronJob;  worker pool → Deployment per node pool;  NFS → PersistentVolume + RWX claim
 */
import * as crypto from 'node:crypto';
import { App, Chart, YamlOutputType } from 'cdk8s';
import * as k8s from 'cdk8s-plus-32/lib/imports/k8s';
import type { EnvironmentConfig } from '../config/schema';
import type { EnvironmentStack } from '../environment-stack';
import { imageName, type Service } from '../service';
import { parseRouteRule } from './routes';

type KubernetesConfig = NonNullable<EnvironmentConfig['kubernetes']>;

/** The Kubernetes image kubectl waits for Jobs with. */
export const KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.36.3';
export const JOB_WAITER = 'stackyard-job-waiter';

/** Name of the Secret holding a declared secret (key `value`): DB_PASSWORD → db-password. */
export function secretObjectName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** Secret objects for files built from secrets (DATABASE_URL, redis.conf): <service>-<file>. */
export function fileSecretName(s: Service, path: string): string {
  return `${s.serviceName}-${path.split('/').pop()!.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export function renderKubernetes(stack: EnvironmentStack, cfg: KubernetesConfig, outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const env = stack.environmentName;
  const ns = cfg.namespace;
  const chart = new Chart(app, env, { namespace: ns, disableResourceNameHashes: true, labels: { 'stackyard.environment': env } });
  new k8s.KubeNamespace(chart, 'namespace', { metadata: { name: ns } });
  // the cluster's ingress controller routes, and CronJobs schedule: no proxy or scheduler containers
  const services = stack.services.filter((s) => s.kind !== 'scheduler' && s.kind !== 'traefik').sort((a, b) => a.serviceName.localeCompare(b.serviceName));
  const jobNames = new Map<string, string>();
  for (const s of services.filter((x) => x.oneShot)) jobNames.set(s.serviceName, `${s.serviceName}-${hash(containerFor(s))}`);
  const needsWaiter = services.some((s) => s.dependencies.some((d) => d.condition === 'completed'));
  if (needsWaiter) {
    new k8s.KubeServiceAccount(chart, 'job-waiter-sa', { metadata: { name: JOB_WAITER } });
    new k8s.KubeRole(chart, 'job-waiter-role', { metadata: { name: JOB_WAITER }, rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] }] });
    new k8s.KubeRoleBinding(chart, 'job-waiter-binding', {
      metadata: { name: JOB_WAITER },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: JOB_WAITER },
      subjects: [{ kind: 'ServiceAccount', name: JOB_WAITER, namespace: ns }],
    });
  }
  for (const [vol, def] of [...stack.nfsVolumes.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    new k8s.KubePersistentVolume(chart, `nfs-pv-${vol}`, {
      metadata: { name: `${ns}-nfs-${vol}` },
      spec: {
        capacity: { storage: k8s.Quantity.fromString(cfg.volumeSize) },
        accessModes: ['ReadWriteMany'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: '',
        mountOptions: def.options.split(',').filter((o) => !['rw', 'ro'].includes(o)),
        nfs: { server: `${def.server.serviceName}.${ns}.svc.cluster.local`, path: def.path },
      },
    });
    new k8s.KubePersistentVolumeClaim(chart, `nfs-pvc-${vol}`, {
      metadata: { name: `nfs-${vol}` },
      spec: { accessModes: ['ReadWriteMany'], storageClassName: '', volumeName: `${ns}-nfs-${vol}`, resources: { requests: { storage: k8s.Quantity.fromString(cfg.volumeSize) } } },
    });
  }

  for (const s of services) {
    const name = s.serviceName;
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': env, 'stackyard.kind': s.kind };
    const container = containerFor(s);
    const pod = podSpecFor(s, cfg, container, jobNames, needsWaiter);
    const template = { metadata: { labels }, spec: pod };
    const configFiles = s.files.filter((f) => typeof f.content === 'function' || !f.sensitive);
    if (configFiles.length) {
      new k8s.KubeConfigMap(chart, `${name}-files`, {
        metadata: { name: `${name}-files` },
        data: Object.fromEntries(configFiles.map((f) => [slug(f.path), typeof f.content === 'function' ? f.content() : f.content.join('')])),
      });
    }
    if (s.schedule) {
      new k8s.KubeCronJob(chart, name, {
        metadata: { name, labels },
        spec: {
          schedule: s.schedule.cron,
          concurrencyPolicy: 'Forbid',
          jobTemplate: { spec: { backoffLimit: 0, template: { metadata: { labels }, spec: { ...pod, restartPolicy: 'Never', containers: [{ ...container, command: [...s.schedule.command], args: undefined }] } } } },
        },
      });
      continue;
    }
    if (s.oneShot) {
      new k8s.KubeJob(chart, name, {
        metadata: { name: jobNames.get(name)!, labels },
        spec: { backoffLimit: 0, activeDeadlineSeconds: s.oneShot.timeoutSeconds, template: { metadata: { labels }, spec: { ...pod, restartPolicy: 'Never' } } },
      });
      continue;
    }
    const selector = { matchLabels: { 'app.kubernetes.io/name': name } };
    const replicas = s.kind === 'worker-pool' ? s.replicas : s.singleton ? 1 : s.replicas;
    if (s.volumes.length) {
      new k8s.KubeStatefulSet(chart, name, {
        metadata: { name, labels },
        spec: {
          serviceName: name,
          replicas,
          selector,
          template,
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
          volumeClaimTemplates: s.volumes.map((v) => ({
            metadata: { name: v.name },
            spec: { accessModes: ['ReadWriteOnce'], storageClassName: cfg.storageClass, resources: { requests: { storage: k8s.Quantity.fromString(cfg.volumeSize) } } },
          })),
        },
      });
    } else {
      new k8s.KubeDeployment(chart, name, {
        metadata: { name, labels },
        spec: {
          replicas,
          selector,
          template,
          // a singleton is stopped before its replacement starts; others never drop below `replicas`
          strategy: s.singleton ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        },
      });
    }
    const ports = (container.ports ?? []).filter((p) => p.name);
    if (ports.length) {
      new k8s.KubeService(chart, `${name}-service`, {
        metadata: { name, labels },
        spec: { selector: selector.matchLabels, ports: ports.map((p) => ({ name: p.name, port: p.containerPort, targetPort: k8s.IntOrString.fromString(p.name!) })) },
      });
    }
    s.routes.forEach((r, i) => {
      const rules = parseRouteRule(r.rule);
      new k8s.KubeIngress(chart, `${name}-ingress-${i + 1}`, {
        metadata: { name: i === 0 ? name : `${name}-${i + 1}` },
        spec: {
          ingressClassName: cfg.ingressClass,
          rules: rules.map((rule) => ({
            host: rule.host,
            http: { paths: [{ path: rule.pathPrefix ?? '/', pathType: 'Prefix', backend: { service: { name, port: { number: r.port } } } }] },
          })),
        },
      });
    });
  }
  return app;
}

function containerFor(s: Service): k8s.Container {
  const env: k8s.EnvVar[] = [...s.env.entries()].map(([name, value]) => ({ name, value }));
  for (const sec of s.secrets.filter((x) => x.as === 'env')) env.push({ name: sec.name, valueFrom: { secretKeyRef: { name: secretObjectName(sec.name), key: 'value' } } });
  let ports = s.ports.map((p) => ({ name: p.name.slice(0, 15), containerPort: p.container }));
  if (s.perReplica) {
    // a worker pool's pods are alike: each announces its own address on the first port
    const first = s.perReplica(1);
    const port = first.ports?.[0]?.container ?? 5003;
    for (const [k, v] of Object.entries(first.env ?? {})) env.push({ name: k, value: k === 'WORKER_PUBLIC_BASE_URL' ? `http://$(POD_IP):${port}` : v });
    env.push({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    ports = [...ports, ...(first.ports ?? []).map((p) => ({ name: p.name.slice(0, 15), containerPort: p.container }))];
  }
  // one entry per container port (a port may carry two names in the model, e.g. http and metrics)
  ports = ports.filter((p, i) => ports.findIndex((q) => q.containerPort === p.containerPort) === i);
  env.sort((a, b) => Number(a.name === 'POD_IP' ? 0 : 1) - Number(b.name === 'POD_IP' ? 0 : 1) || a.name.localeCompare(b.name));
  const hc = s.healthcheck;
  const probe = hc
    ? {
        exec: { command: hc.test[0] === 'CMD-SHELL' ? ['sh', '-c', hc.test[1]] : hc.test.slice(1) },
        periodSeconds: hc.intervalSeconds,
        timeoutSeconds: hc.timeoutSeconds,
        failureThreshold: hc.retries,
        initialDelaySeconds: hc.startPeriodSeconds,
      }
    : undefined;
  const limits: Record<string, k8s.Quantity> = {};
  if (s.cpus !== undefined) limits.cpu = k8s.Quantity.fromString(`${Math.round(s.cpus * 1000)}m`);
  if (s.memoryMb !== undefined) limits.memory = k8s.Quantity.fromString(`${s.memoryMb}Mi`);
  const mounts: k8s.VolumeMount[] = [
    ...s.volumes.map((v) => ({ name: v.name, mountPath: v.path })),
    ...s.secrets.filter((x) => x.as === 'file').map((x) => ({ name: `secret-${slug(x.name)}`, mountPath: `/run/secrets/${x.name}`, subPath: x.name, readOnly: true })),
    ...s.files.map((f) =>
      typeof f.content === 'function' || !f.sensitive
        ? { name: 'files', mountPath: f.path, subPath: slug(f.path), readOnly: true }
        : { name: `file-${slug(f.path)}`, mountPath: f.path, subPath: 'value', readOnly: true },
    ),
    ...s.nfsMounts.map((m) => ({ name: `nfs-${m.volume}`, mountPath: m.path })),
  ].sort((a, b) => a.mountPath.localeCompare(b.mountPath));
  return {
    name: s.serviceName,
    image: imageName(s.image),
    command: s.entrypoint ? [...s.entrypoint] : undefined,
    args: s.command ? [...s.command] : undefined,
    env: env.length ? env : undefined,
    ports: ports.length ? ports : undefined,
    resources: Object.keys(limits).length ? { limits, requests: limits } : undefined,
    readinessProbe: probe,
    livenessProbe: probe,
    volumeMounts: mounts.length ? mounts : undefined,
    securityContext: s.privileged ? { privileged: true } : undefined,
  };
}

function podSpecFor(s: Service, cfg: KubernetesConfig, container: k8s.Container, jobs: ReadonlyMap<string, string>, waiter: boolean): k8s.PodSpec {
  const pool = cfg.nodePools[s.host];
  const volumes: k8s.Volume[] = [
    ...s.secrets.filter((x) => x.as === 'file').map((x) => ({ name: `secret-${slug(x.name)}`, secret: { secretName: secretObjectName(x.name), defaultMode: parseInt(x.mode, 8) } })),
    ...s.files.filter((f) => typeof f.content !== 'function' && f.sensitive).map((f) => ({ name: `file-${slug(f.path)}`, secret: { secretName: fileSecretName(s, f.path), defaultMode: parseInt(f.mode, 8) } })),
    ...(s.files.some((f) => typeof f.content === 'function' || !f.sensitive) ? [{ name: 'files', configMap: { name: `${s.serviceName}-files` } }] : []),
    ...s.nfsMounts.map((m) => ({ name: `nfs-${m.volume}`, persistentVolumeClaim: { claimName: `nfs-${m.volume}` } })),
  ].sort((a, b) => a.name.localeCompare(b.name));
  const waits = s.dependencies.filter((d) => d.condition === 'completed' && jobs.has(d.service.serviceName));
  return {
    nodeSelector: pool && Object.keys(pool.labels).length ? { ...pool.labels } : undefined,
    imagePullSecrets: cfg.imagePullSecret ? [{ name: cfg.imagePullSecret }] : undefined,
    serviceAccountName: waits.length && waiter ? JOB_WAITER : undefined,
    initContainers: waits.length
      ? waits.map((d) => ({ name: `wait-for-${d.service.serviceName}`.slice(0, 63), image: KUBECTL_IMAGE, command: ['kubectl', 'wait', '--for=condition=complete', `--timeout=${d.service.oneShot!.timeoutSeconds}s`, `job/${jobs.get(d.service.serviceName)}`] }))
      : undefined,
    containers: [container],
    volumes: volumes.length ? volumes : undefined,
  };
}

function hash(value: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);
}
