/**
 * Patterns and zod pieces shared by the environment schema (lib/config/schema.ts) and the service
 * kinds (constructs/*.ts, each owning its own schema). Every field carries its description with
 * `.describe()`: it reaches environments/schema.json (editor help) and README's environment-file
 * reference, so a field's documentation and its default exist once, here or in its kind's file.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { UpdatePolicySchema } from '../update-schema';
import { memoryToMb } from '../values';

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

export const name = (what: string) => z.string().regex(NAME, `${what} must be lower-case letters, digits and dashes, starting with a letter, not ending with a dash, at most 40 characters`);
export const secretName = z.string().regex(SECRET, 'a secret name is UPPER_SNAKE_CASE, e.g. DB_PASSWORD');
export const duration = z.string().regex(DURATION, 'expected a duration such as 10s, 1m30s, 2h or 90d');
export const port = z.number().int().min(1).max(65535);
export const memory = z.string().regex(MEMORY, 'expected a memory size such as 512m, 768MB or 3g').refine((m) => memoryMiB(m) >= MIN_MEMORY_MB, `is below Docker's minimum memory limit of ${MIN_MEMORY_MB}m; give at least ${MIN_MEMORY_MB}m, e.g. 512m`);
export const replicas = z.number().int().min(1).max(MAX_REPLICAS);
/** Address a published port listens on: an IPv4 or IPv6 address of the host. */
export const bind = z.string().refine((a) => isIP(a) !== 0, 'expected an IP address of the host, e.g. 127.0.0.1, 0.0.0.0 or 10.0.0.5');
/** The `bind:` field beside a service's `publish:`. */
export const publishBind = bind.optional().describe('Host address the published port(s) listen on. Default: 127.0.0.1 (this host only).');
/** An image version (tag) with its default. */
export const version = (dflt: string, what = 'Image tag') => z.string().default(dflt).describe(`${what}.`);
/** An image repository override. */
export const imageOverride = (dflt: string) => z.string().optional().describe(`Image repository override, e.g. a mirror. Default: ${dflt}.`);

/** A memory size in MiB (the unit Docker's limit takes), from 512m, 768MB, 3g or 100k. */
export function memoryMiB(size: string): number {
  return MEMORY.test(size.trim()) ? memoryToMb(size) : NaN;
}

export const SecretRef = z.union([
  secretName,
  z.strictObject({
    name: secretName.describe('Declared secret name.'),
    as: z.enum(['file', 'env']).default('file').describe('file: /run/secrets/<NAME> plus <NAME>_FILE; env: the value in <NAME> (shows in docker inspect).'),
  }),
]).describe('A declared secret name, or { name, as }.');

export const Healthcheck = z.strictObject({
  test: z.union([z.array(z.string()).min(1), z.string().min(1)]).describe('Exec form (["CMD", "pg_isready"]) or a shell command (run with CMD-SHELL).'),
  interval: duration.default('10s').describe('Time between checks.'),
  timeout: duration.default('5s').describe('Time one check may take.'),
  retries: z.number().int().min(1).max(100).default(5).describe('Failed checks in a row before the container is unhealthy.'),
  startPeriod: duration.default('10s').describe('Start-up time during which failures do not count.'),
});

export const Resources = z.strictObject({
  cpus: z.number().positive().optional().describe('CPUs, e.g. 0.5 or 2. Default: unlimited.'),
  memory: memory.optional().describe('Memory limit, e.g. 512m or 3g (k, m, g; at least 6m). Default: unlimited.'),
});

export const Port = z.union([
  port,
  z.strictObject({
    container: port.describe('Container port.'),
    publish: port.optional().describe('Publish on the host at this port. Default: not published.'),
    bind: bind.optional().describe('Host address the published port listens on. Default: 127.0.0.1 (this host only).'),
  }),
]).describe('A container port, or { container, publish, bind }.');

const id = z.number().int().min(0).max(2147483647);
export const SecretsOwner = z.strictObject({ uid: id.describe('User id.'), gid: id.describe('Group id.') });

/** Fields every workload-like kind shares. */
export const common = {
  host: z.string().optional().describe('Host (or Kubernetes node pool) this service runs on. Default: the only host, when there is one.'),
  env: z.record(z.string().regex(ENV_KEY, 'an environment variable name'), z.union([z.string(), z.number(), z.boolean()])).default({}).describe('Plain settings as environment variables. Never secrets: list those under `secrets:`.'),
  secrets: z.array(SecretRef).default([]).describe('Declared secrets this service reads (least privilege): files under /run/secrets unless `as: env`.'),
  resources: Resources.default({}).describe('CPU and memory limits.'),
  uses: z.array(z.string()).default([]).describe('Services whose connection settings and secrets this one needs; waits for them to be healthy.'),
  after: z.array(z.string()).default([]).describe('One-shot jobs that must complete successfully before this starts.'),
  dependsOn: z.record(z.string(), z.enum(['started', 'healthy', 'completed'])).default({}).describe('Other dependencies with an explicit condition: started, healthy or completed.'),
  labels: z.record(z.string(), z.string()).default({}).describe('Extra container labels.'),
  tracing: z.boolean().default(false).describe('Send traces to the environment\'s Jaeger (OTEL_EXPORTER_OTLP_ENDPOINT).'),
  mounts: z.record(z.string(), z.string().startsWith('/', 'a mount path is absolute')).default({}).describe('NFS volumes (declared under top-level `nfs:`) → mount path, e.g. { shared: /mnt/shared }.'),
  stopGracePeriod: duration.optional().describe('Time between the stop signal and SIGKILL on replace or destroy, e.g. 30s. Default: 10s (60s for services that keep data, 2m for workers).'),
  secretsOwner: SecretsOwner.optional().describe('Non-root image: the uid/gid that reads /run/secrets/* (files become 0440, readable through group root). Default: root (0400).'),
  update: UpdatePolicySchema.optional().describe('How the service is replaced when it changes, on Docker hosts (lib/update-policy.ts). Default: start-first when routed, else stop-first.'),
};

/** Fields of kinds that run an application image. */
export const image = {
  image: z.string().min(1).describe('Image repository, e.g. ghcr.io/acme/backend (a tag here is allowed when `tag` is not set).'),
  tag: z.string().min(1).optional().describe('Image tag. Required (and not `latest`) in production environments. Default: the release tag when the image is released, else the tag in `image`.'),
  command: z.array(z.string()).optional().describe('Command (arguments after the entrypoint). Default: the image\'s.'),
  entrypoint: z.array(z.string()).optional().describe('Entrypoint. Default: the image\'s.'),
  healthcheck: Healthcheck.optional().describe('Explicit healthcheck; wins over `health:`. Default: none.'),
  volumes: z.record(z.string().regex(NAME, 'a volume name'), z.string().startsWith('/', 'a mount path is absolute')).default({}).describe('Persistent named volumes (protected): volume name → mount path.'),
};

/** Fields of kinds that serve HTTP and may be routed by the proxy. */
export const routed = {
  route: z.string().min(1).optional().describe('Traefik rule, e.g. Host(`api.example.com`) && PathPrefix(`/api`). Default: not routed.'),
  entrypoints: z.array(z.string()).optional().describe('Proxy entrypoints the route listens on. Default: all of the proxy\'s entrypoints.'),
  port: port.optional().describe('Container port that serves HTTP (named `http`).'),
  health: z.string().startsWith('/').optional().describe('HTTP path answering 200 when healthy; builds the healthcheck. Default: none.'),
  ports: z.record(z.string().regex(NAME, 'a port name'), Port).default({}).describe('More named ports; `metrics` is scraped by Prometheus.'),
};

export const resources = common.resources;
export const labels = common.labels;
export const host = common.host;

/** The `kind:` discriminator with its description. */
export const kind = <K extends string>(k: K, what: string) => z.literal(k).describe(what);

export type HealthcheckConfig = z.output<typeof Healthcheck>;
export type SecretRefConfig = z.output<typeof SecretRef>;

/** A copy of a field group without some keys (a kind that refuses a field leaves it out of its schema). */
export function without<T extends object, K extends keyof T>(fields: T, ...keys: K[]): Omit<T, K> {
  const out: Record<string, unknown> = { ...(fields as Record<string, unknown>) };
  for (const k of keys) delete out[k as string];
  return out as Omit<T, K>;
}
