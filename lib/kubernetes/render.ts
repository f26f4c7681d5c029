/**
 * Kubernetes target: renders the same target-neutral Services to manifests with cdk8s (typed
 * objects from cdk8s-plus-32's Kubernetes 1.32 API imports). Deterministic: fixed names, sorted
 * objects, no timestamps. Secret values are never rendered: pods reference Secret objects by
 * name, which `npm run secrets:k8s` creates from the same TF_VAR_* values.
 *
 *   web service  → Deployment (rolling update, maxUnavailable 0) + Service + Ingress
 *   singleton    → Deployment with one replica and the Recreate strategy (never two at once)
 *   data volumes → StatefulSet with volume claim templates, claims retained
 *   one-shot job → Job named by a hash of its pod template, retried up to JOB_BACKOFF_LIMIT times
 *                  within its timeout; it waits for the services it uses to be ready, and its
 *                  dependents wait for it, in init containers
 *   schedule     → CronJob;  worker pool → Deployment per node pool;  NFS → PersistentVolume + RWX claim
 */
import * as crypto from 'node:crypto';
import { App, Chart, YamlOutputType } from 'cdk8s';
import * as k8s from 'cdk8s-plus-32/lib/imports/k8s';
import type { EnvironmentConfig } from '../config/schema';
import type { Environment } from '../environment';
import { imageName, secretPath, secretsIn, type Service } from '../service';
import { dnsSlug as slug } from '../values';
import { containerPort, kubernetesReach, perReplicaServiceName, reachedPerReplica } from './reach';
import { parseRouteRule } from './routes';

type KubernetesConfig = NonNullable<EnvironmentConfig['kubernetes']>;

/** The Kubernetes image kubectl waits for Jobs with. */
export const KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.36.3';
export const JOB_WAITER = 'stackyard-job-waiter';

/**
 * The one key of every Secret stackyard reads: `npm run secrets:k8s` writes the value under it,
 * and pods mount (subPath) or reference (secretKeyRef) it.
 */
export const SECRET_KEY = 'value';
/** Retries of a Job's pod (a failed migration, a database not answering yet) within the job's timeout. */
export const JOB_BACKOFF_LIMIT = 4;
/** Pod template annotations that change when what the pod reads from Secrets or ConfigMaps changes. */
export const SECRETS_CHECKSUM = 'stackyard.dev/secrets-checksum';
export const FILES_CHECKSUM = 'stackyard.dev/files-checksum';
/**
 * Seconds a pod of a rolling Deployment keeps serving after it is marked for deletion, before its
 * stop signal: the ingress controller, kube-proxy and CoreDNS learn that it is going (its
 * endpoint turns `terminating`) and stop sending it new requests, so requests in flight when the
 * pod is replaced are never refused. Traefik reloads its configuration at most every 2 s.
 */
export const DRAIN_SECONDS = 10;
/** How long a scheduled job's pod waits for the services it uses (it has no timeout of its own). */
const SCHEDULED_WAIT_SECONDS = 600;

/** Name of the Secret holding a declared secret (key SECRET_KEY): DB_PASSWORD → db-password. */
export function secretObjectName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** Secret objects for files built from secrets (DATABASE_URL, redis.conf): <service>-<file>. */
export function fileSecretName(s: Service, path: string): string {
  return `${s.serviceName}-${slug(path.split('/').pop()!)}`;
}


export function renderKubernetes(model: Environment, cfg: KubernetesConfig, outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const env = model.environmentName;
  const ns = cfg.namespace;
  const chart = new Chart(app, env, { namespace: ns, disableResourceNameHashes: true, labels: { 'stackyard.environment': env } });
  new k8s.KubeNamespace(chart, 'namespace', { metadata: { name: ns } });
  // the cluster's ingress controller routes (no proxy container); CronJobs schedule
  const services = model.services.filter((s) => s !== model.proxy?.service).sort((a, b) => a.serviceName.localeCompare(b.serviceName));
  const rendered = new Set(services.map((s) => s.serviceName));
  const perReplica = reachedPerReplica(model);
  // a Job's pod template is immutable, so its name carries a hash of the whole template (which
  // names the Jobs it waits for: computed dependencies first)
  const jobNames = new Map<string, string>();
  const templates = new Map<string, k8s.PodTemplateSpec>();
  const templateOf = (s: Service, visiting: string[] = []): k8s.PodTemplateSpec => {
    const known = templates.get(s.serviceName);
    if (known) return known;
    if (visiting.includes(s.serviceName)) throw new Error(`one-shot jobs wait for each other in a cycle: ${[...visiting, s.serviceName].join(' → ')}`);
    for (const d of s.dependencies) if (d.condition === 'completed' && d.service.oneShot && rendered.has(d.service.serviceName)) jobNameOf(d.service, [...visiting, s.serviceName]);
    const t = podTemplateFor(s, env, cfg, jobNames, rendered);
    templates.set(s.serviceName, t);
    return t;
  };
  const jobNameOf = (s: Service, visiting: string[] = []): string => {
    if (!jobNames.has(s.serviceName)) jobNames.set(s.serviceName, `${s.serviceName}-${hash(templateOf(s, visiting))}`);
    return jobNames.get(s.serviceName)!;
  };
  for (const s of services.filter((x) => x.oneShot)) jobNameOf(s);
  for (const s of services) templateOf(s);
  const waits = services.flatMap((s) => waitsOf(s, rendered));
  if (waits.length) {
    const rules: k8s.PolicyRule[] = [];
    if (waits.some((d) => d.condition === 'completed')) rules.push({ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] });
    if (waits.some((d) => d.condition === 'healthy')) rules.push({ apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'watch'] });
    new k8s.KubeServiceAccount(chart, 'job-waiter-sa', { metadata: { name: JOB_WAITER } });
    new k8s.KubeRole(chart, 'job-waiter-role', { metadata: { name: JOB_WAITER }, rules });
    new k8s.KubeRoleBinding(chart, 'job-waiter-binding', {
      metadata: { name: JOB_WAITER },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: JOB_WAITER },
      subjects: [{ kind: 'ServiceAccount', name: JOB_WAITER, namespace: ns }],
    });
  }
  for (const [vol, def] of [...model.nfsVolumes.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    new k8s.KubePersistentVolume(chart, `nfs-pv-${vol}`, {
      metadata: { name: `${ns}-nfs-${vol}` },
      spec: {
        capacity: { storage: k8s.Quantity.fromString(cfg.volumeSize) },
        accessModes: ['ReadWriteMany'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: '',
        mountOptions: def.options.split(',').filter((o) => !['rw', 'ro'].includes(o)),
        // the kubelet mounts NFS from the node, which does not resolve cluster DNS: the Service's fixed ClusterIP
        nfs: { server: clusterIP(cfg, def.server.serviceName), path: def.path },
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
    const template = templateOf(s);
    const container = template.spec!.containers[0];
    const configFiles = s.files.filter((f) => !f.sensitive);
    if (configFiles.length) {
      new k8s.KubeConfigMap(chart, `${name}-files`, {
        metadata: { name: `${name}-files` },
        data: Object.fromEntries(configFiles.map((f) => [slug(f.path), fileText(f, ns)])),
      });
    }
    if (s.schedule) {
      new k8s.KubeCronJob(chart, name, {
        metadata: { name, labels },
        spec: {
          schedule: s.schedule.cron,
          concurrencyPolicy: 'Forbid',
          jobTemplate: { spec: { backoffLimit: JOB_BACKOFF_LIMIT, template } },
        },
      });
      continue;
    }
    if (s.oneShot) {
      new k8s.KubeJob(chart, name, {
        metadata: { name: jobNames.get(name)!, labels },
        // retried within the job's timeout, which bounds the whole Job: waiting, runs and retries
        spec: { backoffLimit: JOB_BACKOFF_LIMIT, activeDeadlineSeconds: s.oneShot.timeoutSeconds, template },
      });
      continue;
    }
    const selector = { matchLabels: { 'app.kubernetes.io/name': name } };
    const replicas = s.singleton ? 1 : s.replicas;
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
          strategy: !rollsOut(s) ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        },
      });
    }
    const ports = (container.ports ?? []).filter((p) => p.name);
    if (ports.length) {
      new k8s.KubeService(chart, `${name}-service`, {
        metadata: { name, labels },
        spec: { clusterIp: cfg.clusterIPs[name], selector: selector.matchLabels, ports: ports.map((p) => ({ name: p.name, port: p.containerPort, targetPort: k8s.IntOrString.fromString(p.name!) })) },
      });
    }
    for (const port of perReplica.get(name) ?? []) {
      // headless: its DNS name resolves to every ready pod, which is reached one by one (Prometheus scrapes each)
      new k8s.KubeService(chart, `${name}-${port}-service`, {
        metadata: { name: perReplicaServiceName(s, port), labels },
        spec: { clusterIp: 'None', selector: selector.matchLabels, ports: [{ name: port, port: containerPort(s, port), targetPort: k8s.IntOrString.fromNumber(containerPort(s, port)) }] },
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

/** What a pod waits for in init containers: Jobs it runs after, and (for run-to-completion pods) the services it uses. */
function waitsOf(s: Service, rendered: ReadonlySet<string>) {
  const runsToCompletion = s.oneShot !== undefined || s.schedule !== undefined;
  return s.dependencies.filter((d) => rendered.has(d.service.serviceName) && (
    (d.condition === 'completed' && d.service.oneShot !== undefined) ||
    // long-running pods restart until what they use answers; a Job's pod would use up its retries
    (d.condition === 'healthy' && runsToCompletion && !d.service.oneShot && !d.service.schedule)
  ));
}

/** A Deployment replaced pod by pod (RollingUpdate): not a singleton, not a StatefulSet. */
function rollsOut(s: Service): boolean {
  return !s.singleton && s.volumes.length === 0;
}

/** The workload object a service becomes (what `kubectl rollout status` is asked about). */
function workloadRef(s: Service): string {
  return `${s.volumes.length ? 'statefulset' : 'deployment'}/${s.serviceName}`;
}

function clusterIP(cfg: KubernetesConfig, service: string): string {
  const ip = cfg.clusterIPs[service];
  if (!ip) throw new Error(`NFS server ${service} has no kubernetes.clusterIPs entry`); // reported with its position by build
  return ip;
}

function podTemplateFor(s: Service, env: string, cfg: KubernetesConfig, jobs: ReadonlyMap<string, string>, rendered: ReadonlySet<string>): k8s.PodTemplateSpec {
  const labels = { 'app.kubernetes.io/name': s.serviceName, 'app.kubernetes.io/part-of': env, 'stackyard.kind': s.kind };
  let container = containerFor(s);
  if (s.schedule) container = { ...container, command: [...s.schedule.command], args: undefined };
  const longRunning = !s.oneShot && !s.schedule;
  // a rolling Deployment's pods behind a Service drain before they stop (a singleton or a
  // StatefulSet's pod is stopped before its replacement starts: there is nothing to drain to)
  const drains = longRunning && rollsOut(s) && (container.ports ?? []).length > 0;
  if (drains) container = { ...container, lifecycle: { preStop: { sleep: { seconds: DRAIN_SECONDS } } } };
  let spec = podSpecFor(s, cfg, container, jobs, rendered);
  // the model's stop grace period (Docker's stop timeout): the time between the stop signal and SIGKILL, after the drain
  if (longRunning) spec = { ...spec, terminationGracePeriodSeconds: s.stopGraceSeconds + (drains ? DRAIN_SECONDS : 0) };
  // secret values are not known here, and files mounted by subPath never update: the pod template
  // changes (and the workload rolls) when a secret's declared version or a generated file changes
  const secrets = [...new Set([...s.secrets.map((x) => x.name), ...s.files.flatMap(secretsIn)])].sort();
  const configFiles = s.files.filter((f) => !f.sensitive);
  const annotations: Record<string, string> = {};
  if (secrets.length) annotations[SECRETS_CHECKSUM] = hash(secrets.map((n) => [n, String(cfg.secretVersions[n] ?? 1)]), 16);
  if (configFiles.length) annotations[FILES_CHECKSUM] = hash(configFiles.map((f) => [f.path, fileText(f, cfg.namespace)]), 16);
  return { metadata: { labels, annotations: Object.keys(annotations).length ? annotations : undefined }, spec };
}

function fileText(f: Service['files'][number], namespace: string): string {
  const content = f.content;
  return typeof content === 'function' ? content(kubernetesReach(namespace)) : content.join('');
}

/** Docker healthcheck → probes. Docker never kills an unhealthy container; here liveness does, so it is lenient. */
function probesFor(s: Service): Pick<k8s.Container, 'startupProbe' | 'readinessProbe' | 'livenessProbe'> {
  const hc = s.healthcheck;
  if (!hc) return {};
  const base = { exec: { command: hc.test[0] === 'CMD-SHELL' ? ['sh', '-c', hc.test[1]] : hc.test.slice(1) }, periodSeconds: hc.intervalSeconds, timeoutSeconds: hc.timeoutSeconds };
  return {
    // the start period plus Docker's retries, and at least five minutes (initdb, a replayed WAL):
    // liveness and readiness start once this succeeds
    startupProbe: { ...base, failureThreshold: Math.max(Math.ceil(300 / hc.intervalSeconds), Math.ceil(hc.startPeriodSeconds / hc.intervalSeconds) + hc.retries) },
    // out of the Service after the healthcheck's retries
    readinessProbe: { ...base, failureThreshold: hc.retries },
    // restarted only after three times as long
    livenessProbe: { ...base, failureThreshold: hc.retries * 3 },
  };
}

function containerFor(s: Service): k8s.Container {
  // initdb refuses a non-empty folder, and a block volume's root holds lost+found: the data lives one level down
  const pgdata = (value: string) => (s.volumes.some((v) => v.path === value) ? `${value}/pgdata` : value);
  const env: k8s.EnvVar[] = [...s.env.entries()].map(([name, value]) => ({ name, value: name === 'PGDATA' ? pgdata(value) : value }));
  for (const sec of s.secrets.filter((x) => x.as === 'env')) env.push({ name: sec.name, valueFrom: { secretKeyRef: { name: secretObjectName(sec.name), key: SECRET_KEY } } });
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
  const limits: Record<string, k8s.Quantity> = {};
  if (s.cpus !== undefined) limits.cpu = k8s.Quantity.fromString(`${Math.round(s.cpus * 1000)}m`);
  if (s.memoryMb !== undefined) limits.memory = k8s.Quantity.fromString(`${s.memoryMb}Mi`);
  const mounts: k8s.VolumeMount[] = [
    ...s.volumes.map((v) => ({ name: v.name, mountPath: v.path })),
    ...s.secrets.filter((x) => x.as === 'file').map((x) => ({ name: `secret-${slug(x.name)}`, mountPath: secretPath(x.name), subPath: SECRET_KEY, readOnly: true })),
    ...s.files.map((f) =>
      f.sensitive
        ? { name: `file-${slug(f.path)}`, mountPath: f.path, subPath: SECRET_KEY, readOnly: true }
        : { name: 'files', mountPath: f.path, subPath: slug(f.path), readOnly: true },
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
    ...probesFor(s),
    volumeMounts: mounts.length ? mounts : undefined,
    securityContext: s.privileged ? { privileged: true } : undefined,
  };
}

function podSpecFor(s: Service, cfg: KubernetesConfig, container: k8s.Container, jobs: ReadonlyMap<string, string>, rendered: ReadonlySet<string>): k8s.PodSpec {
  const pool = cfg.nodePools[s.host];
  const volumes: k8s.Volume[] = [
    ...s.secrets.filter((x) => x.as === 'file').map((x) => ({ name: `secret-${slug(x.name)}`, secret: { secretName: secretObjectName(x.name), defaultMode: parseInt(x.mode, 8) } })),
    ...s.files.filter((f) => f.sensitive).map((f) => ({ name: `file-${slug(f.path)}`, secret: { secretName: fileSecretName(s, f.path), defaultMode: parseInt(f.mode, 8) } })),
    ...(s.files.some((f) => !f.sensitive) ? [{ name: 'files', configMap: { name: `${s.serviceName}-files` } }] : []),
    ...s.nfsMounts.map((m) => ({ name: `nfs-${m.volume}`, persistentVolumeClaim: { claimName: `nfs-${m.volume}` } })),
  ].sort((a, b) => a.name.localeCompare(b.name));
  const timeout = s.oneShot?.timeoutSeconds ?? SCHEDULED_WAIT_SECONDS;
  const waits = waitsOf(s, rendered).map((d) =>
    d.condition === 'completed'
      ? { name: `wait-for-${d.service.serviceName}`.slice(0, 63), image: KUBECTL_IMAGE, command: ['kubectl', 'wait', '--for=condition=complete', `--timeout=${d.service.oneShot!.timeoutSeconds}s`, `job/${jobs.get(d.service.serviceName)!}`] }
      : // ready replicas: the readiness probe is the dependency's healthcheck, as Docker's service_healthy
        { name: `wait-for-${d.service.serviceName}`.slice(0, 63), image: KUBECTL_IMAGE, command: ['kubectl', 'rollout', 'status', workloadRef(d.service), `--timeout=${timeout}s`] },
  );
  const init = [...volumeOwner(s, container), ...waits];
  return {
    nodeSelector: pool && Object.keys(pool.labels).length ? { ...pool.labels } : undefined,
    imagePullSecrets: cfg.imagePullSecret ? [{ name: cfg.imagePullSecret }] : undefined,
    serviceAccountName: waits.length ? JOB_WAITER : undefined,
    initContainers: init.length ? init : undefined,
    containers: [container],
    restartPolicy: s.oneShot || s.schedule ? 'Never' : undefined,
    volumes: volumes.length ? volumes : undefined,
  };
}

/**
 * An image that runs as a non-root user (Prometheus as nobody, Grafana as 472...) cannot write a
 * fresh claim, whose root belongs to root: a Docker volume takes the image folder's owner, a
 * claim does not, and host-path or local volumes ignore `fsGroup`. Before the service starts, its
 * own image, as root, gives the claims' roots to that user (only the roots: what lies below is
 * the service's own).
 */
function volumeOwner(s: Service, container: k8s.Container): k8s.Container[] {
  const { uid, gid } = s.secretsOwner;
  if (!s.volumes.length || uid === 0) return [];
  return [{
    name: 'volume-owner',
    image: container.image,
    command: ['chown', `${uid}:${gid}`, ...s.volumes.map((v) => v.path)],
    securityContext: { runAsUser: 0 },
    volumeMounts: s.volumes.map((v) => ({ name: v.name, mountPath: v.path })),
  }];
}

function hash(value: unknown, length = 8): string {
  return crypto.createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);
}
