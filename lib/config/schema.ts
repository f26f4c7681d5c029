/**
 * The environment file schema (zod). Every default lives here, once; the JSON Schema in
 * environments/schema.json is exported from this file (`npm run schema`).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { UpdatePolicySchema } from '../update-policy';

/** One DNS label rule for every name that becomes part of a container, network or Kubernetes object name. */
export const NAME = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;
/** Postgres role and database names: plain identifiers, so they never need quoting in SQL or a shell. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
export const SECRET = /^[A-Z][A-Z0-9_]*$/;
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const DURATION = /^(\d+(ms|s|m|h|d))+$/;
export const MEMORY = /^\d+(\.\d+)?\s*(k|m|g)i?b?$/i;
/** Docker refuses memory limits below 6 MiB. */
export const MIN_MEMORY_MB = 6;
/** Upper bound of `replicas` (and of a worker pool's replicas per host). */
export const MAX_REPLICAS = 100;

const name = (what: string) => z.string().regex(NAME, `${what} must be lower-case letters, digits and dashes, starting with a letter, not ending with a dash, at most 40 characters`);
const secretName = z.string().regex(SECRET, 'a secret name is UPPER_SNAKE_CASE, e.g. DB_PASSWORD');
const duration = z.string().regex(DURATION, 'expected a duration such as 10s, 1m30s, 2h or 90d');
const port = z.number().int().min(1).max(65535);
const memory = z.string().regex(MEMORY, 'expected a memory size such as 512m, 768MB or 3g').refine((m) => memoryMiB(m) >= MIN_MEMORY_MB, `is below Docker's minimum memory limit of ${MIN_MEMORY_MB}m; give at least ${MIN_MEMORY_MB}m, e.g. 512m`);
const replicas = z.number().int().min(1).max(MAX_REPLICAS);
/** Address a published port listens on: an IPv4 or IPv6 address of the host. */
const bind = z.string().refine((a) => isIP(a) !== 0, 'expected an IP address of the host, e.g. 127.0.0.1, 0.0.0.0 or 10.0.0.5');
/** The `bind:` field beside a service's `publish:`. */
const publishBind = bind.optional().describe('Host address the published port(s) listen on. @default 127.0.0.1 (this host only)');

/** A memory size in MiB (the unit Docker's limit takes), from 512m, 768MB, 3g or 100k. */
export function memoryMiB(size: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(k|m|g)i?b?$/i.exec(size.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  const unit = m[2].toLowerCase();
  return Math.round(unit === 'g' ? n * 1024 : unit === 'm' ? n : n / 1024);
}

// Values that reach generated workflows, shell and known_hosts lines: strict patterns only.
const HOSTNAME = String.raw`([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])`;
export const DOCKER_URL = new RegExp(String.raw`^(unix:///[A-Za-z0-9._/-]+|ssh://([a-z_][a-z0-9_.-]{0,31}@)?${HOSTNAME}(:\d{1,5})?|tcp://${HOSTNAME}:\d{1,5})$`);
/** An OpenSSH public host key: type and base64 key, as in known_hosts (comment not allowed). */
export const HOST_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]{32,2048}={0,3}$/;
/** GitHub names and branch patterns that end up in workflows. */
export const GITHUB_ENVIRONMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const BRANCH_PATTERN = /^[A-Za-z0-9._*/+-]{1,200}$/;

export const HostSchema = z.strictObject({
  /** Docker endpoint: unix:///var/run/docker.sock, ssh://user@host:22 or tcp://host:2376. */
  docker: z.string().regex(DOCKER_URL, 'expected unix:///path/docker.sock, ssh://user@host[:port] or tcp://host:port'),
  /** Address other hosts and the outside world use to reach this host. @default - none */
  address: z.string().min(1).optional(),
  /** Extra ssh options for ssh:// hosts, e.g. ["-o", "StrictHostKeyChecking=yes"]. @default [] */
  sshOptions: z.array(z.string()).default([]),
  /** Pinned SSH host key of an ssh:// host, e.g. "ssh-ed25519 AAAA..." (ssh-keyscan -t ed25519 <host>, checked out of band); the workflows trust only it. @default - none */
  hostKey: z.string().regex(HOST_KEY, 'expected an SSH public host key such as "ssh-ed25519 AAAAC3Nz...", as in known_hosts without the host name').optional(),
  /** Folder holding ca.pem, cert.pem and key.pem for tcp:// hosts with TLS. @default - no TLS */
  tlsCertPath: z.string().min(1).optional(),
}).describe('A Docker host');

const SecretRef = z.union([
  secretName,
  z.strictObject({
    name: secretName,
    /** file: /run/secrets/<NAME> plus <NAME>_FILE (default); env: the value in <NAME> (shows in docker inspect). */
    as: z.enum(['file', 'env']).default('file'),
  }),
]);

const Healthcheck = z.strictObject({
  /** Exec form (["CMD", "pg_isready"]) or a shell command (run with CMD-SHELL). */
  test: z.union([z.array(z.string()).min(1), z.string().min(1)]),
  interval: duration.default('10s'),
  timeout: duration.default('5s'),
  retries: z.number().int().min(1).max(100).default(5),
  startPeriod: duration.default('10s'),
});

const Resources = z.strictObject({
  /** CPUs, e.g. 0.5 or 2. @default - unlimited */
  cpus: z.number().positive().optional(),
  /** Memory limit, e.g. 512m or 3g. @default - unlimited */
  memory: memory.optional(),
});

const Port = z.union([
  port,
  z.strictObject({
    container: port,
    /** Publish on the host at this port. @default - not published */
    publish: port.optional(),
    /** Host address the published port listens on. @default 127.0.0.1 (this host only) */
    bind: bind.optional(),
  }),
]);

const Dependency = z.enum(['started', 'healthy', 'completed']);

const id = z.number().int().min(0).max(2147483647);
/** uid/gid the image's process reads its secret files as, e.g. { uid: 1000, gid: 1000 } for an image with USER 1000. */
const SecretsOwner = z.strictObject({ uid: id, gid: id });

/** Fields every service kind shares. */
const common = {
  /** Host this service runs on. @default - the only host, when there is one */
  host: z.string().optional(),
  env: z.record(z.string().regex(ENV_KEY, 'an environment variable name'), z.union([z.string(), z.number(), z.boolean()])).default({}),
  secrets: z.array(SecretRef).default([]),
  resources: Resources.default({}),
  /** Services whose connection settings and secrets this one needs; implies `healthy`. */
  uses: z.array(z.string()).default([]),
  /** One-shot jobs that must complete successfully before this starts. */
  after: z.array(z.string()).default([]),
  /** Other dependencies with an explicit condition. */
  dependsOn: z.record(z.string(), Dependency).default({}),
  labels: z.record(z.string(), z.string()).default({}),
  /** Send traces to the environment's Jaeger (OTEL_EXPORTER_OTLP_ENDPOINT). @default false */
  tracing: z.boolean().default(false),
  /** NFS volumes (declared under top-level `nfs:`) → mount path, e.g. { shared: /mnt/shared }. @default {} */
  mounts: z.record(z.string(), z.string().startsWith('/', 'a mount path is absolute')).default({}),
  /** Time between the stop signal and SIGKILL on replace or destroy, e.g. 30s. @default 10s (celery-worker: 2m) */
  stopGracePeriod: duration.optional(),
  /** Non-root image: the uid/gid that reads /run/secrets/* (files become 0440, readable through group root). @default - root (0400) */
  secretsOwner: SecretsOwner.optional(),
  /** How the service is replaced when it changes (lib/update-policy.ts). @default - start-first when routed, else stop-first */
  update: UpdatePolicySchema.optional(),
};

const image = {
  /** Image repository, e.g. ghcr.io/acme/backend (a tag here is allowed when `tag` is not set). */
  image: z.string().min(1),
  /** Image tag. Required (and not `latest`) in production environments. */
  tag: z.string().min(1).optional(),
  command: z.array(z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
  healthcheck: Healthcheck.optional(),
  /** Persistent named volumes: volume name → mount path. */
  volumes: z.record(z.string().regex(NAME, 'a volume name'), z.string().startsWith('/', 'a mount path is absolute')).default({}),
};

const routed = {
  /** Traefik rule, e.g. Host(`api.example.com`) && PathPrefix(`/api`). @default - not routed */
  route: z.string().min(1).optional(),
  /** Proxy entrypoints the route listens on. @default - all of the proxy's entrypoints */
  entrypoints: z.array(z.string()).optional(),
  /** Container port that serves HTTP. */
  port: port.optional(),
  /** HTTP path answering 200 when healthy; builds the healthcheck. @default - none */
  health: z.string().startsWith('/').optional(),
  /** Named ports; `metrics` is scraped by Prometheus. */
  ports: z.record(z.string().regex(NAME, 'a port name'), Port).default({}),
};

export const TraefikSchema = z.strictObject({
  kind: z.literal('traefik'),
  host: common.host,
  version: z.string().default('v3.6'),
  image: z.string().default('traefik'),
  /** Entrypoint name → published host port. @default { web: 80 } */
  entrypoints: z.record(z.string().regex(NAME, 'an entrypoint name'), port).default({ web: 80 }),
  /** Dashboard and API on this host port, bound to 127.0.0.1 only (reach it through an SSH tunnel). @default - off */
  dashboard: z.strictObject({ port }).optional(),
  /** Host address the entrypoints listen on (unlike `publish:` ports: the proxy is the front door). @default 0.0.0.0 */
  bind: bind.optional(),
  /** Let's Encrypt TLS via the TLS challenge on the named entrypoint. @default - off */
  acme: z.strictObject({ email: z.string().email(), entrypoint: z.string() }).optional(),
  resources: common.resources,
  labels: common.labels,
});

export const PostgresSchema = z.strictObject({
  kind: z.literal('postgres'),
  host: common.host,
  version: z.string().default('17'),
  /** Use the TimescaleDB image (timescale/timescaledb:latest-pg<version>). @default false */
  timescale: z.boolean().default(false),
  /** Image override, e.g. a mirror. @default postgres (or timescale/timescaledb) */
  image: z.string().optional(),
  tag: z.string().optional(),
  /** Secret holding the superuser password. */
  password: secretName,
  /** Role name: letters, digits and _, starting with a letter or _. @default app */
  user: z.string().regex(IDENTIFIER, 'a Postgres role name is letters, digits and _, starting with a letter or _ (at most 63)').default('app'),
  /** Database name: letters, digits and _, starting with a letter or _. @default app */
  database: z.string().regex(IDENTIFIER, 'a Postgres database name is letters, digits and _, starting with a letter or _ (at most 63)').default('app'),
  /** Publish 5432 on the host at this port (needed by services on other hosts). @default - not published */
  publish: port.optional(),
  bind: publishBind,
  resources: common.resources,
  labels: common.labels,
});

export const RedisSchema = z.strictObject({
  kind: z.literal('redis'),
  host: common.host,
  version: z.string().default('7'),
  image: z.string().optional(),
  tag: z.string().optional(),
  /** Secret holding the password (requirepass). */
  password: secretName,
  maxmemory: z.string().regex(MEMORY, 'expected a memory size such as 512mb').default('512mb'),
  evictionPolicy: z.enum(['noeviction', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']).default('allkeys-lru'),
  appendonly: z.boolean().default(true),
  publish: port.optional(),
  bind: publishBind,
  resources: common.resources,
  labels: common.labels,
});

export const WebSchema = z.strictObject({
  kind: z.literal('web'),
  ...common,
  ...image,
  ...routed,
  /** Replicas behind the proxy (at most 100). @default 2 */
  replicas: replicas.default(2),
});

export const SingletonSchema = z.strictObject({
  kind: z.literal('singleton'),
  ...common,
  ...image,
  ...routed,
  /** A singleton has exactly one replica; the key exists only so a wrong value is reported. @default 1 */
  replicas: z.number().int().max(MAX_REPLICAS).default(1),
});

export const JobSchema = z.strictObject({
  kind: z.literal('job'),
  ...common,
  ...image,
  command: z.array(z.string()).min(1),
  /** Seconds the deploy waits for the job to finish. @default 600 */
  timeout: z.number().int().min(1).max(86400).default(600),
});

export const AdminerSchema = z.strictObject({
  kind: z.literal('adminer'),
  host: common.host,
  version: z.string().default('5'),
  route: z.string().min(1),
  entrypoints: z.array(z.string()).optional(),
  resources: common.resources,
  labels: common.labels,
});

export const GenericSchema = z.strictObject({
  kind: z.literal('service'),
  ...common,
  ...image,
  ...routed,
  replicas: replicas.default(1),
});

export const CeleryWorkerSchema = z.strictObject({
  kind: z.literal('celery-worker'),
  ...common,
  ...image,
  /** The Celery application (-A), e.g. app.worker. */
  app: z.string().min(1),
  queues: z.array(z.string().min(1)).min(1).default(['celery']),
  concurrency: z.number().int().min(1).max(256).default(2),
  replicas: replicas.default(1),
});

export const CeleryBeatSchema = z.strictObject({
  kind: z.literal('celery-beat'),
  ...common,
  ...image,
  app: z.string().min(1),
  /** A scheduler runs once; the key exists so a wrong value is reported. @default 1 */
  replicas: z.number().int().max(MAX_REPLICAS).default(1),
});

export const WorkerPoolSchema = z.strictObject({
  kind: z.literal('worker-pool'),
  image: z.string().min(1),
  tag: z.string().min(1).optional(),
  command: z.array(z.string()).min(1),
  /** WORKER_TYPE, e.g. backtesting or training. */
  type: z.string().min(1),
  /** Replicas per host (seed 003's scale-2 / scale-3 profiles are these counts). */
  hosts: z.record(z.string(), z.number().int().min(0).max(MAX_REPLICAS)).refine((h) => Object.keys(h).length > 0, 'name at least one host'),
  /** First port of the per-host sequence shared by every pool. @default 5003 */
  basePort: port.default(5003),
  /** Host address the workers' ports listen on; the backend reaches them at the host's `address:`, so it must be one it can reach. @default 127.0.0.1 */
  bind: publishBind,
  /** Service the workers register with; its URL goes to `registerEnv`. @default - none */
  registerWith: z.string().optional(),
  /** @default API_URL */
  registerEnv: z.string().regex(ENV_KEY, 'an environment variable name').default('API_URL'),
  env: common.env,
  secrets: z.array(secretName).default([]),
  uses: common.uses,
  resources: common.resources,
  tracing: common.tracing,
  mounts: common.mounts,
  /** @default 2m: a worker finishes its task */
  stopGracePeriod: common.stopGracePeriod,
  secretsOwner: common.secretsOwner,
  update: common.update,
});

export const NfsServerSchema = z.strictObject({
  kind: z.literal('nfs-server'),
  host: common.host,
  /** @default /srv/shared */
  exportPath: z.string().startsWith('/').default('/srv/shared'),
  image: z.string().optional(),
  publish: port.default(2049),
  /** Host address the NFS port listens on; hosts mount by `address:`, so use one they reach. @default 127.0.0.1 */
  bind: publishBind,
  /** Who may mount: host names, addresses or CIDRs. @default - the `address:` of every host of the environment */
  clients: z.array(z.string().regex(/^[A-Za-z0-9.:/*_-]+$/, 'a host name, address or CIDR such as 10.0.0.0/24')).min(1).optional(),
  /** Map root on the clients to nobody (root_squash). false lets root on every client own the files. @default true */
  rootSquash: z.boolean().default(true),
});

export const PrometheusSchema = z.strictObject({
  kind: z.literal('prometheus'),
  host: common.host,
  version: z.string().default('v3.5.0'),
  image: z.string().optional(),
  /** 90d in production, 7d for development (seed 003). @default 15d */
  retention: duration.default('15d'),
  scrapeInterval: duration.default('15s'),
  publish: port.optional(),
  bind: publishBind,
  /** Only these services. @default - every service with a `metrics` port */
  scrape: z.array(z.string()).optional(),
  resources: common.resources,
});

export const GrafanaSchema = z.strictObject({
  kind: z.literal('grafana'),
  host: common.host,
  version: z.string().default('12.1.0'),
  image: z.string().optional(),
  adminPassword: secretName,
  publish: port.default(3000),
  bind: publishBind,
  resources: common.resources,
});

export const JaegerSchema = z.strictObject({
  kind: z.literal('jaeger'),
  host: common.host,
  version: z.string().default('1.76.0'),
  image: z.string().optional(),
  uiPort: port.default(16686),
  /** Publish OTLP gRPC for services on other hosts. @default - not published */
  otlpPort: port.optional(),
  /** Host address the UI and OTLP ports listen on. @default 127.0.0.1 */
  bind: publishBind,
  resources: common.resources,
});

export const ScheduledJobSchema = z.strictObject({
  kind: z.literal('scheduled-job'),
  ...common,
  ...image,
  command: z.array(z.string()).min(1),
  /** Five-field cron, e.g. "0 0,6,12,18 * * *" (every 6 hours); on Docker hosts six fields give seconds first. */
  schedule: z.string().min(1),
});

export const PostgresBackupSchema = z.strictObject({
  kind: z.literal('postgres-backup'),
  /** The postgres service to dump. */
  database: z.string().min(1),
  /** Five-field cron; on Docker hosts six fields give seconds first. @default "0 3 * * *" */
  schedule: z.string().min(1).default('0 3 * * *'),
  /** @default 14 */
  retentionDays: z.number().int().min(1).max(3650).default(14),
  /** Write into this NFS volume (shared storage), under `directory`. @default - a protected named volume */
  nfsVolume: z.string().optional(),
  /** @default db-backups */
  directory: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a folder name').default('db-backups'),
});

export const AlertmanagerSchema = z.strictObject({
  kind: z.literal('alertmanager'),
  host: common.host,
  version: z.string().default('v0.28.1'),
  /** Receiver name → webhook URL. */
  receivers: z.record(z.string().min(1), z.string().url()).refine((r) => Object.keys(r).length > 0, 'declare at least one receiver'),
  defaultReceiver: z.string().min(1),
  routes: z.array(z.strictObject({ match: z.record(z.string(), z.string()), receiver: z.string().min(1) })).default([]),
  publish: port.optional(),
  bind: publishBind,
  resources: common.resources,
});

export const ServiceSchema = z.discriminatedUnion('kind', [
  NfsServerSchema, ScheduledJobSchema, PostgresBackupSchema, AlertmanagerSchema,
  TraefikSchema, PostgresSchema, RedisSchema, WebSchema, SingletonSchema, JobSchema, AdminerSchema, GenericSchema,
  CeleryWorkerSchema, CeleryBeatSchema, WorkerPoolSchema, PrometheusSchema, GrafanaSchema, JaegerSchema,
]);
export const SERVICE_KINDS = ['traefik', 'postgres', 'redis', 'web', 'singleton', 'job', 'adminer', 'service', 'celery-worker', 'celery-beat', 'worker-pool', 'prometheus', 'grafana', 'jaeger', 'scheduled-job', 'postgres-backup', 'alertmanager', 'nfs-server'] as const;

/** OpenTofu state and plan encryption, key from TF_VAR_STATE_PASSPHRASE (false: plain Terraform, which lacks it). @default true */
const stateEncryption = z.boolean().default(true);
const StateSchema = z.discriminatedUnion('backend', [
  z.strictObject({ backend: z.literal('local'), encryption: stateEncryption }),
  /** Postgres backend; the connection string comes from PG_CONN_STR at deploy time. */
  z.strictObject({ backend: z.literal('pg'), schema: z.string().optional(), encryption: stateEncryption }),
  /** S3 backend; credentials come from the AWS_* variables at deploy time. */
  z.strictObject({
    backend: z.literal('s3'),
    bucket: z.string().min(1),
    region: z.string().min(1),
    key: z.string().optional(),
    endpoint: z.string().url().optional(),
    /** Server-side encryption of the state object. @default true */
    encrypt: z.boolean().default(true),
    /** KMS key (ARN or id) for server-side encryption. @default - the bucket's default key */
    kmsKeyId: z.string().min(1).optional(),
    /** Lock the state with a lock file next to it in the bucket (no DynamoDB needed). @default true */
    useLockfile: z.boolean().default(true),
    encryption: stateEncryption,
  }),
]);

const GithubSchema = z.strictObject({
  owner: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/, 'a GitHub user or organization name'),
  repository: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a GitHub repository name'),
  /** GitHub environment name. @default - the environment's name */
  environment: z.string().regex(GITHUB_ENVIRONMENT, 'a GitHub environment name for workflows: letters, digits, . _ -, starting with a letter or digit').optional(),
  /** Who must approve a deploy (GitHub user names and team slugs). Required when `production: true`. @default - nobody */
  reviewers: z.strictObject({ users: z.array(z.string().min(1)).default([]), teams: z.array(z.string().min(1)).default([]) }).default({ users: [], teams: [] }),
  /** Branch patterns allowed to deploy, e.g. ["release/*"]. @default - any branch */
  branches: z.array(z.string().regex(BRANCH_PATTERN, 'a branch pattern: letters, digits and . _ - / * +')).min(1).optional(),
  /** Minutes to wait before a deploy job starts. @default - none */
  waitTimer: z.number().int().min(0).max(43200).optional(),
  /** Declared secrets shared by every environment: repository-level instead of environment-level. @default [] */
  repositorySecrets: z.array(secretName).default([]),
  /**
   * Also create `<environment>-plan`: the same secrets and variables, no reviewers or branch
   * policy, for the pull-request plan workflow (.github/workflows/plan.yml). @default false
   */
  planEnvironment: z.boolean().default(false),
  /** Non-secret settings for the workflows, as environment variables. @default {} */
  variables: z.record(z.string().regex(SECRET, 'a variable name is UPPER_SNAKE_CASE'), z.string()).default({}),
});

const RegistrySchema = z.strictObject({
  /** Registry host, e.g. ghcr.io. */
  address: z.string().min(1),
  username: z.string().min(1),
  /** Declared secret holding the token or password. */
  passwordSecret: secretName,
});

const ReleaseSchema = z.strictObject({
  /** Tag deployed when none is given at deploy time (TF_VAR_RELEASE_TAG), e.g. sha-4f2c9e1. */
  tag: z.string().min(1),
  /** Image repositories that carry the release tag (services with their own `tag:` keep it). */
  images: z.array(z.string().min(1)).min(1),
});

const clusterIpError = 'expected an IP address in the cluster\'s service range, e.g. 10.96.0.49';

export const EnvironmentSchema = z.strictObject({
  /** Stack name; also the prefix of every container, network and volume. */
  name: name('an environment name'),
  /** A partial file is only used through `extends:` and never becomes a stack. @default false */
  partial: z.boolean().default(false),
  /** Path of a file this one extends, relative to this file. */
  extends: z.string().optional(),
  /** Production rules apply: pinned image tags, no Adminer. @default false */
  production: z.boolean().default(false),
  /** Data volumes carry prevent_destroy. @default true */
  protectVolumes: z.boolean().default(true),
  /** docker: `hosts:` are Docker engines; kubernetes: one namespace of a cluster, `kubernetes:` describes it. @default docker */
  platform: z.enum(['docker', 'kubernetes']).default('docker'),
  kubernetes: z.strictObject({
    namespace: name('a namespace'),
    /** @default traefik */
    ingressClass: z.string().min(1).default('traefik'),
    /** Storage class of every data volume claim. Required when a service keeps data. @default - none */
    storageClass: z.string().min(1).optional(),
    /** Size of each data volume claim. @default 10Gi */
    volumeSize: z.string().regex(/^\d+(Mi|Gi|Ti)$/, 'expected a size such as 10Gi').default('10Gi'),
    /** The cluster's nodes can mount NFS volumes ReadWriteMany (needed by `nfs:` volumes). @default true */
    readWriteMany: z.boolean().default(true),
    /** Image pull secret for private registries. @default - none */
    imagePullSecret: z.string().min(1).optional(),
    /**
     * Fixed ClusterIP of a service's Service object, by service name. Each nfs-server that exports
     * an `nfs:` volume needs one: the kubelet mounts NFS from the node, which does not resolve
     * cluster DNS names, so the PersistentVolume names this address. Pick a free address in the
     * cluster's service range, preferably its low static band (kubeadm 10.96.0.0/12: 10.96.0.2-10.96.0.255;
     * k3s 10.43.0.0/16). @default {}
     */
    clusterIPs: z.record(name('a service name'), z.union([z.ipv4({ error: clusterIpError }), z.ipv6({ error: clusterIpError })])).default({}),
    /**
     * Version of each secret's current value (a number or label you bump when you rotate it, default 1).
     * Pods carry a checksum of the versions of the secrets they use, so bumping one here restarts
     * exactly the pods that read it; `secrets:k8s` records the version on the Secret. @default {}
     */
    secretVersions: z.record(secretName, z.union([z.string().min(1), z.number()])).default({}),
    /** Node pools: a service's `host:` names one, and lands on nodes with these labels. */
    nodePools: z.record(name('a node pool name'), z.strictObject({ labels: z.record(z.string(), z.string()).default({}) })).refine((p) => Object.keys(p).length > 0, 'declare at least one node pool'),
  }).optional(),
  /** Where Terraform state lives. @default { backend: local } */
  state: StateSchema.default({ backend: 'local', encryption: true }),
  github: GithubSchema.optional(),
  /** The scheduler of scheduled jobs on Docker hosts (one Ofelia container per host that runs one). */
  scheduler: z.strictObject({
    /** Ofelia image, e.g. a copy in your own registry. @default mcuadros/ofelia:v0.3.13 */
    image: z.string().regex(/^[^\s:@]+(:\d+)?[^\s:@]*:[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'an image with its tag, e.g. registry.example.com/ofelia:v0.3.13').default('mcuadros/ofelia:v0.3.13'),
  }).default({ image: 'mcuadros/ofelia:v0.3.13' }),
  /** Private registries every host logs in to. @default [] */
  registries: z.array(RegistrySchema).default([]),
  /** NFS volumes: name → the nfs-server service exporting it, the path under the export, mount options. @default {} */
  nfs: z.record(name('an NFS volume name'), z.strictObject({
    server: z.string().min(1),
    path: z.string().startsWith('/').default('/'),
    options: z.string().default('nfsvers=4,rw,soft'),
  })).default({}),
  /** Application images released together under one tag, chosen at deploy time. @default - none */
  release: ReleaseSchema.optional(),
  /** Docker hosts (platform docker only). */
  hosts: z.record(name('a host name'), HostSchema).default({}),
  /** Names of secrets given at deploy time as TF_VAR_<NAME>. Never values. */
  secrets: z.array(secretName).default([]),
  services: z.record(name('a service name'), ServiceSchema),
});

export type EnvironmentConfig = z.output<typeof EnvironmentSchema>;
export type ServiceConfig = z.output<typeof ServiceSchema>;
export type HostConfig = z.output<typeof HostSchema>;
export type HealthcheckConfig = z.output<typeof Healthcheck>;
export type SecretRefConfig = z.output<typeof SecretRef>;

/** A partial file: everything optional, so a base topology can leave out what each environment sets. */
export const PartialEnvironmentSchema = z.looseObject({ partial: z.literal(true), extends: z.string().optional() });
