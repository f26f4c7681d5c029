/**
 * The environment file's top-level sections that know no service kind: hosts, state, GitHub,
 * registries, release, the cluster. lib/config/schema.ts composes them with the kinds' entries;
 * the model (lib/environment.ts) reads their types from here, so it does not depend on
 * the kinds that depend on it.
 */
import { z } from 'zod';
import { name, SECRET, secretName } from './fields';

// Values that reach generated workflows, shell and known_hosts lines: strict patterns only.
const HOSTNAME = String.raw`([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])`;
export const DOCKER_URL = new RegExp(String.raw`^(unix:///[A-Za-z0-9._/-]+|ssh://([a-z_][a-z0-9_.-]{0,31}@)?${HOSTNAME}(:\d{1,5})?|tcp://${HOSTNAME}:\d{1,5})$`);
/** User, host (IPv6 without its brackets) and port of an ssh:// Docker URL (one DOCKER_URL accepts); no port when the URL names none (ssh's default, 22). */
export function parseSshUrl(docker: string): { user?: string; host: string; port?: number } {
  const m = /^ssh:\/\/(?:([^@]+)@)?(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(docker);
  if (!m) throw new Error(`not an ssh:// Docker URL: ${docker}`);
  return { user: m[1], host: m[2] ?? m[3], port: m[4] === undefined ? undefined : Number(m[4]) };
}
/** An OpenSSH public host key: type and base64 key, as in known_hosts (comment not allowed). */
export const HOST_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]{32,2048}={0,3}$/;
/** GitHub names and branch patterns that end up in workflows. */
export const GITHUB_ENVIRONMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const BRANCH_PATTERN = /^[A-Za-z0-9._*/+-]{1,200}$/;
/** One branch's name (no wildcard). */
export const BRANCH_NAME = /^[A-Za-z0-9._+-][A-Za-z0-9._/+-]{0,199}$/;

export const HostSchema = z.strictObject({
  docker: z.string().regex(DOCKER_URL, 'expected unix:///path/docker.sock, ssh://user@host[:port] or tcp://host:port').describe('Docker endpoint: unix:///var/run/docker.sock, ssh://user@host:22 or tcp://host:2376.'),
  address: z.string().min(1).optional().describe('Address other hosts and the outside world use to reach this host. Default: none.'),
  sshOptions: z.array(z.string()).default([]).describe('Extra ssh options for ssh:// hosts, e.g. ["-o", "StrictHostKeyChecking=yes"].'),
  hostKey: z.string().regex(HOST_KEY, 'expected an SSH public host key such as "ssh-ed25519 AAAAC3Nz...", as in known_hosts without the host name').optional().describe('Pinned SSH host key of an ssh:// host, e.g. "ssh-ed25519 AAAA..." (ssh-keyscan -t ed25519 <host>, checked out of band); the workflows trust only it. Required for ssh:// hosts of an environment with `github:`.'),
  tlsCertPath: z.string().min(1).optional().describe('Folder holding ca.pem, cert.pem and key.pem for tcp:// hosts with TLS. Default: no TLS.'),
}).describe('A Docker host.');

const stateEncryption = z.boolean().default(true).describe('OpenTofu state and plan encryption, key from TF_VAR_STATE_PASSPHRASE (false: plain Terraform, which lacks it).');
export const StateSchema = z.discriminatedUnion('backend', [
  z.strictObject({ backend: z.literal('local').describe('State in .stackyard/state/<env>.tfstate.'), encryption: stateEncryption }),
  z.strictObject({
    backend: z.literal('pg').describe('Postgres backend; the connection string comes from PG_CONN_STR at deploy time.'),
    schema: z.string().optional().describe('Schema holding the state. Default: stackyard_<environment>.'),
    encryption: stateEncryption,
  }),
  z.strictObject({
    backend: z.literal('s3').describe('S3 backend; credentials come from the AWS_* variables at deploy time.'),
    bucket: z.string().min(1).describe('Bucket.'),
    region: z.string().min(1).describe('Region.'),
    key: z.string().optional().describe('Object key. Default: stackyard/<environment>.tfstate.'),
    endpoint: z.string().url().optional().describe('S3-compatible endpoint (path-style requests). Default: AWS.'),
    encrypt: z.boolean().default(true).describe('Server-side encryption of the state object.'),
    kmsKeyId: z.string().min(1).optional().describe('KMS key (ARN or id) for server-side encryption. Default: the bucket\'s default key.'),
    useLockfile: z.boolean().default(true).describe('Lock the state with a lock file next to it in the bucket (no DynamoDB needed).'),
    encryption: stateEncryption,
  }),
]);

export const GithubSchema = z.strictObject({
  owner: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/, 'a GitHub user or organization name').describe('GitHub user or organization.'),
  repository: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a GitHub repository name').describe('Repository name.'),
  environment: z.string().regex(GITHUB_ENVIRONMENT, 'a GitHub environment name for workflows: letters, digits, . _ -, starting with a letter or digit').optional().describe('GitHub environment name. Default: the environment\'s name.'),
  reviewers: z.strictObject({
    users: z.array(z.string().min(1)).default([]).describe('GitHub user names.'),
    teams: z.array(z.string().min(1)).default([]).describe('Team slugs.'),
  }).default({ users: [], teams: [] }).describe('Who must approve a deploy. Required when `production: true`.'),
  defaultBranch: z.string().regex(BRANCH_NAME, 'a branch name: letters, digits and . _ - / +, no wildcard').default('main')
    .describe("The repository's default branch: the only branch whose workflows may use the `<env>-plan` environment (plan-comment.yml runs there), and the deploy branch when `branches` is not given."),
  branches: z.array(z.string().regex(BRANCH_PATTERN, 'a branch pattern: letters, digits and . _ - / * +')).min(1).optional().describe('Branch patterns allowed to deploy, e.g. ["release/*"]: the environment\'s branch policy and the deploy workflow\'s push trigger. Default: [defaultBranch].'),
  waitTimer: z.number().int().min(0).max(43200).optional().describe('Minutes to wait before a deploy job starts. Default: none.'),
  repositorySecrets: z.array(secretName).default([]).describe('Declared secrets shared by every environment: repository-level instead of environment-level.'),
  planEnvironment: z.boolean().default(false).describe('Also create `<environment>-plan` for pull-request plans (plan-comment.yml): the same variables, no deploy secret value, usable only from `defaultBranch`. It holds the read-only plan identity (plan SSH keys, GitHub token, state credentials, set by hand) and the state passphrase, which together read every secret in the state: see README "Security model".'),
  variables: z.record(z.string().regex(SECRET, 'a variable name is UPPER_SNAKE_CASE'), z.string()).default({}).describe('Non-secret settings for the workflows, as Actions variables.'),
});

export const RegistrySchema = z.strictObject({
  address: z.string().min(1).describe('Registry host, e.g. ghcr.io.'),
  username: z.string().min(1).describe('User name.'),
  passwordSecret: secretName.describe('Declared secret holding the token or password.'),
});

export const ReleaseSchema = z.strictObject({
  tag: z.string().min(1).describe('Tag deployed when none is given at deploy time (TF_VAR_RELEASE_TAG), e.g. sha-4f2c9e1.'),
  images: z.array(z.string().min(1)).min(1).describe('Image repositories that carry the release tag (services with their own `tag:` keep it).'),
});

const clusterIpError = 'expected an IP address in the cluster\'s service range, e.g. 10.96.0.49';

export const KubernetesSchema = z.strictObject({
  namespace: name('a namespace').describe('Namespace of the environment.'),
  ingressClass: z.string().min(1).default('traefik').describe('Ingress class of the routes.'),
  storageClass: z.string().min(1).optional().describe('Storage class of every data volume claim. Required when a service keeps data. Default: none.'),
  volumeSize: z.string().regex(/^\d+(Mi|Gi|Ti)$/, 'expected a size such as 10Gi').default('10Gi').describe('Size of each data volume claim.'),
  readWriteMany: z.boolean().default(true).describe('The cluster\'s nodes can mount NFS volumes ReadWriteMany (needed by `nfs:` volumes).'),
  imagePullSecret: z.string().min(1).optional().describe('Image pull secret for private registries. Default: none.'),
  clusterIPs: z.record(name('a service name'), z.union([z.ipv4({ error: clusterIpError }), z.ipv6({ error: clusterIpError })])).default({}).describe(
    'Fixed ClusterIP of a service\'s Service object, by service name. Each nfs-server that exports an `nfs:` volume needs one: the kubelet mounts NFS from the node, which does not resolve cluster DNS names. Pick a free address in the cluster\'s service range (kubeadm: 10.96.0.2-10.96.0.255; k3s: 10.43.0.x).',
  ),
  secretVersions: z.record(secretName, z.union([z.string().min(1), z.number()])).default({}).describe(
    'Version of each secret\'s current value (default 1); bump it when you rotate the secret: exactly the pods that read it restart.',
  ),
  nodePools: z.record(name('a node pool name'), z.strictObject({
    labels: z.record(z.string(), z.string()).default({}).describe('Node labels (the pods\' node selector).'),
  })).refine((p) => Object.keys(p).length > 0, 'declare at least one node pool').describe('Node pools: a service\'s `host:` names one, and lands on nodes with these labels.'),
});

export type HostConfig = z.output<typeof HostSchema>;
export type StateConfig = z.output<typeof StateSchema>;
export type GithubConfig = z.output<typeof GithubSchema>;
export type RegistryConfig = z.output<typeof RegistrySchema>;
export type KubernetesConfig = z.output<typeof KubernetesSchema>;
