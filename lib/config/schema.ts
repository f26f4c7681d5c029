/**
 * The environment file schema (zod). Every default lives here, once; the JSON Schema in
 * environments/schema.json is exported from this file (`npm run schema`).
 */
import { z } from 'zod';
import { KINDS, type ServiceKind } from '../../constructs/index';
import { name, SECRET, secretName } from './fields';

export { NAME, IDENTIFIER, SECRET, ENV_KEY, DURATION, MEMORY, MIN_MEMORY_MB, MAX_REPLICAS, memoryMiB } from './fields';

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

type SchemaOf<K> = K extends { readonly schema: infer S } ? S : never;
type Schemas<T extends readonly unknown[]> = { -readonly [I in keyof T]: SchemaOf<T[I]> };
type KindSchemas = Schemas<typeof KINDS>;
/** One entry of `services:`: the schema of its kind (constructs/index.ts lists them). */
export const ServiceSchema = z.discriminatedUnion('kind', KINDS.map((k) => k.schema) as unknown as KindSchemas);
export const SERVICE_KINDS: readonly ServiceKind[] = KINDS.map((k) => k.kind);

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
export type { HealthcheckConfig, SecretRefConfig } from './fields';
export type { ServiceKind } from '../../constructs/index';

/** A partial file: everything optional, so a base topology can leave out what each environment sets. */
export const PartialEnvironmentSchema = z.looseObject({ partial: z.literal(true), extends: z.string().optional() });
