/**
 * The target-neutral Service: what a container workload is, independent of whether Docker
 * hosts or Kubernetes run it. Constructs in constructs/ build Services in the environment model
 * (lib/environment.ts); the targets in lib/docker and lib/kubernetes render them. Rendering is
 * deferred, so every addX() made after construction still counts.
 */
import { Construct } from 'constructs';
import type { KindName } from '../constructs/kind-names';
import type { UpdatePolicyRequest } from './update-schema';
import type { Origin, Template } from './values';

export type DependencyCondition = 'started' | 'healthy' | 'completed';

export interface ImageRef {
  /** Repository, e.g. ghcr.io/acme/backend or postgres. */
  readonly repository: string;
  /** Tag; undefined means untagged (the registry's `latest`). With `release`, the default of the release tag. */
  readonly tag?: string;
  /** Deployed with the environment's release tag, chosen at deploy time (TF_VAR_RELEASE_TAG). @default false */
  readonly release?: boolean;
}

export function imageName(ref: ImageRef): string {
  return ref.tag ? `${ref.repository}:${ref.tag}` : ref.repository;
}

/** Splits `repo:tag` (a registry port is not a tag). */
export function parseImage(image: string, tag?: string): ImageRef {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (tag === undefined && colon > slash) return { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { repository: image, tag };
}

export interface HealthcheckSpec {
  /** Docker form: ["CMD", ...] or ["CMD-SHELL", "..."]. */
  readonly test: readonly string[];
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly startPeriodSeconds: number;
}

export interface SecretMount {
  readonly name: string;
  /** file: /run/secrets/<name> and <name>_FILE; env: the value in <name>. */
  readonly as: 'file' | 'env';
  /** File mode. @default 0400 */
  readonly mode: string;
}

/** Every replica of a service's port, as one platform reaches it. */
export type ReplicaAddresses =
  /** Each replica's `host:port`. */
  | { readonly addresses: readonly string[] }
  /** One DNS name whose records are the ready replicas' addresses, and the port. */
  | { readonly dnsName: string; readonly port: number };

/**
 * How services reach each other, as a target platform answers it (lib/docker/reach.ts,
 * lib/kubernetes/reach.ts): generated configuration (Prometheus scrape targets) asks it instead of
 * assuming a platform.
 */
export interface Reach {
  /** Every replica of `target`'s port `port`, as `from` reaches them. */
  replicas(from: Service, target: Service, port: string): ReplicaAddresses;
  /** `host:port` at which `from` reaches `target`'s port `port` (any replica). */
  service(from: Service, target: Service, port: string): string;
}

/** Generated plain text (never secrets), computed when a target renders, with that target's answers. */
export type GeneratedContent = (reach: Reach) => string;

export interface FileSpec {
  readonly path: string;
  /**
   * The content, or a function computing plain text (never secrets) when the target renders,
   * after every service exists: generated configuration such as Prometheus scrape targets.
   */
  readonly content: Template | GeneratedContent;
  /** @default 0400 */
  readonly mode: string;
  /** True when the content embeds a secret (it then never appears in plans or logs). */
  readonly sensitive: boolean;
}

export interface PortSpec {
  readonly name: string;
  readonly container: number;
  /** Host port; undefined when not published. */
  readonly publish?: number;
  /** Host address a published port listens on. @default 127.0.0.1 (LOOPBACK) when published */
  readonly bind?: string;
}

/** The published ports of a list, one per host mapping (a port may carry two names, e.g. worker and metrics). */
export function uniquePublished(ports: readonly PortSpec[]): PortSpec[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    const key = `${p.bind ?? LOOPBACK}:${p.publish}:${p.container}`;
    if (p.publish === undefined || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Where published ports listen unless told otherwise: reachable from the host itself only. */
export const LOOPBACK = '127.0.0.1';

/** True for an address only the host itself reaches (127.0.0.0/8, ::1, localhost). */
export function isLoopback(address: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(address) || address === '::1' || address.toLowerCase() === 'localhost';
}

export interface RouteSpec {
  readonly rule: string;
  readonly port: number;
  /** @default - all proxy entrypoints */
  readonly entrypoints?: readonly string[];
  /** Path the proxy probes to take unhealthy replicas out of rotation. @default - none */
  readonly healthPath?: string;
}

export interface VolumeSpec {
  /** Volume name, unique within the service. */
  readonly name: string;
  readonly path: string;
}

export interface BindMount {
  readonly hostPath: string;
  readonly path: string;
  readonly readOnly: boolean;
}

/** Numeric user and group of the process that reads a service's secret files. */
export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

/** Root, which reads 0400 root-owned files: the default, and what the official Postgres and Redis entrypoints read secrets as. */
export const ROOT_OWNER: FileOwner = { uid: 0, gid: 0 };

/**
 * Seconds a container gets between the stop signal and SIGKILL when it is replaced, destroyed or
 * stopped (one place for every default; a service may set its own).
 */
export const STOP_GRACE_SECONDS = {
  /** Docker's own default for `docker stop`. */
  default: 10,
  /** Databases, caches, metrics and file servers: flush and close files cleanly. */
  stateful: 60,
  /** Queue workers and worker pools: finish the task in hand (Celery's warm shutdown on SIGTERM). */
  worker: 120,
} as const;

export interface Dependency {
  readonly service: Service;
  readonly condition: DependencyCondition;
}

export interface ServiceProps {
  /** Service name, unique in the environment: DNS alias and container name part. @default - the construct id */
  readonly name?: string;
  /** Name of the host the service runs on (a key of the environment's hosts). */
  readonly host: string;
  readonly image: ImageRef;
  /**
   * What the construct is, for labels and messages: the name of the kind that built it (plans read
   * what that kind declares from the label, lib/registry.ts), or `scheduler` for the Docker
   * target's Ofelia. The names come from constructs/kind-names.ts (generated, importing nothing),
   * so the model does not depend on the kinds built on it.
   */
  readonly kind: KindName | 'scheduler';
  /** @default - the image's command */
  readonly command?: readonly string[];
  /** @default - the image's entrypoint */
  readonly entrypoint?: readonly string[];
  /** @default 1 */
  readonly replicas?: number;
  /** Never more than one replica. @default false */
  readonly singleton?: boolean;
  /** Runs to completion once per change instead of staying up. @default - long-running */
  readonly oneShot?: { readonly timeoutSeconds: number };
  /** @default - none */
  readonly healthcheck?: HealthcheckSpec;
  /** @default - unlimited */
  readonly cpus?: number;
  /** Memory limit in MiB. @default - unlimited */
  readonly memoryMb?: number;
  /** Holds data that must survive a deploy (its volumes are protected). @default false */
  readonly stateful?: boolean;
  /** Runs a command on a five-field cron instead of staying up. @default - not scheduled */
  readonly schedule?: { readonly cron: string; readonly command: readonly string[] };
  /** Full privileges (an NFS server needs them to export). @default false */
  readonly privileged?: boolean;
  /** Extra container labels. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * What differs between replicas (1-based): settings and published ports, e.g. a worker pool's
   * sequential ports and public URLs. @default - replicas are identical
   */
  readonly perReplica?: (replica: number) => { readonly env?: Readonly<Record<string, string>>; readonly ports?: readonly PortSpec[] };
  /**
   * Seconds between the stop signal and SIGKILL on replace, destroy or stop.
   * @default STOP_GRACE_SECONDS.stateful when `stateful`, else STOP_GRACE_SECONDS.default
   */
  readonly stopGraceSeconds?: number;
  /** Signal that asks the process to stop. @default - the image's STOPSIGNAL (SIGTERM unless it sets one) */
  readonly stopSignal?: string;
  /**
   * Who reads the secret files (uid/gid of the process that opens them, after any privilege drop
   * by the entrypoint). @default ROOT_OWNER
   */
  readonly secretsOwner?: FileOwner;
  /** How it is replaced when it changes (lib/update-policy.ts resolves the defaults). @default - the defaults for its kind */
  readonly update?: UpdatePolicyRequest;
  /** Where it came from in an environment file. @default - the construct path */
  readonly origin?: Origin;
}

/** Something a workload can use: it wires connection settings and secrets into the consumer. */
export interface Connectable {
  readonly service: Service;
  /** Adds what `consumer` needs to reach this (env, secret files) and a `healthy` dependency. */
  connect(consumer: Service): void;
}

export class Service extends Construct {
  /** Service name: the construct id, also its DNS alias on the environment's network. */
  readonly serviceName: string;
  readonly host: string;
  readonly image: ImageRef;
  readonly kind: ServiceProps['kind'];
  readonly command?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly replicas: number;
  readonly singleton: boolean;
  readonly oneShot?: { readonly timeoutSeconds: number };
  readonly cpus?: number;
  readonly memoryMb?: number;
  readonly stateful: boolean;
  readonly privileged: boolean;
  readonly schedule?: ServiceProps['schedule'];
  readonly labels: Readonly<Record<string, string>>;
  readonly origin: Origin;
  readonly perReplica?: ServiceProps['perReplica'];
  readonly stopGraceSeconds: number;
  readonly stopSignal?: string;
  readonly secretsOwner: FileOwner;
  /** The `update:` request as given; resolveUpdatePolicy() adds the defaults. */
  readonly updateRequest?: UpdatePolicyRequest;
  healthcheck?: HealthcheckSpec;

  private readonly _env = new Map<string, string>();
  private readonly _secrets = new Map<string, SecretMount>();
  private readonly _files = new Map<string, FileSpec>();
  private readonly _ports = new Map<string, PortSpec>();
  private readonly _routes: RouteSpec[] = [];
  private readonly _volumes = new Map<string, VolumeSpec>();
  private readonly _binds: BindMount[] = [];
  private readonly _nfs = new Map<string, string>();
  private readonly _deps = new Map<string, Dependency>();

  constructor(scope: Construct, id: string, props: ServiceProps) {
    super(scope, id);
    this.serviceName = props.name ?? id;
    this.host = props.host;
    this.image = props.image;
    this.kind = props.kind;
    this.command = props.command;
    this.entrypoint = props.entrypoint;
    this.singleton = props.singleton ?? false;
    this.replicas = props.replicas ?? 1;
    this.oneShot = props.oneShot;
    this.healthcheck = props.healthcheck;
    this.cpus = props.cpus;
    this.memoryMb = props.memoryMb;
    this.stateful = props.stateful ?? false;
    this.privileged = props.privileged ?? false;
    this.schedule = props.schedule;
    this.labels = props.labels ?? {};
    this.origin = props.origin ?? constructOrigin(this);
    this.perReplica = props.perReplica;
    this.stopGraceSeconds = props.stopGraceSeconds ?? (this.stateful ? STOP_GRACE_SECONDS.stateful : STOP_GRACE_SECONDS.default);
    this.stopSignal = props.stopSignal;
    this.secretsOwner = props.secretsOwner ?? ROOT_OWNER;
    this.updateRequest = props.update;
  }

  addEnv(name: string, value: string): this {
    this._env.set(name, value);
    return this;
  }

  /**
   * Delivers a declared secret: as a file (default) or, when asked, as a plain variable. Asked both
   * ways (a service lists `{ name: DB_PASSWORD, as: env }` and `uses:` the database, which wires the
   * file), it gets both: one delivery never silently replaces the other.
   */
  addSecret(name: string, options: { as?: 'file' | 'env'; mode?: string } = {}): this {
    const as = options.as ?? 'file';
    this._secrets.set(`${name}\0${as}`, { name, as, mode: options.mode ?? '0400' });
    if (as === 'file') this._env.set(`${name}_FILE`, secretPath(name));
    return this;
  }

  addFile(file: { path: string; content: Template | GeneratedContent; mode?: string }): this {
    const sensitive = typeof file.content !== 'function' && file.content.some((p) => typeof p !== 'string');
    this._files.set(file.path, { path: file.path, content: file.content, mode: file.mode ?? '0400', sensitive });
    return this;
  }

  /** Published ports of every replica, including per-replica ones; a port with two names once. */
  publishedPorts(): { replica: number; port: PortSpec }[] {
    const out: { replica: number; port: PortSpec }[] = [];
    for (let i = 1; i <= this.replicas; i++) {
      for (const port of uniquePublished([...this.ports, ...(this.perReplica?.(i).ports ?? [])])) out.push({ replica: i, port });
    }
    return out;
  }

  /** A container port, published on the host at `publish` (listening on `bind`, 127.0.0.1 unless given). */
  addPort(name: string, container: number, publish?: number, bind?: string): this {
    this._ports.set(name, publish === undefined ? { name, container } : { name, container, publish, bind: bind ?? LOOPBACK });
    return this;
  }

  addRoute(route: RouteSpec): this {
    this._routes.push(route);
    return this;
  }

  addVolume(name: string, path: string): this {
    this._volumes.set(name, { name, path });
    return this;
  }

  /** Mounts an environment NFS volume (declared under `nfs:`) at `path`. */
  addNfsMount(volume: string, path: string): this {
    this._nfs.set(volume, path);
    return this;
  }

  get nfsMounts(): readonly { volume: string; path: string }[] {
    return [...this._nfs.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([volume, path]) => ({ volume, path }));
  }

  addBindMount(hostPath: string, path: string, readOnly = true): this {
    this._binds.push({ hostPath, path, readOnly });
    return this;
  }

  /** Starts this service only once `other` is started, healthy or completed. */
  dependOn(other: Service, condition: DependencyCondition): this {
    const existing = this._deps.get(other.serviceName);
    const rank = { started: 0, healthy: 1, completed: 2 } as const;
    if (!existing || rank[condition] > rank[existing.condition]) this._deps.set(other.serviceName, { service: other, condition });
    return this;
  }

  get env(): ReadonlyMap<string, string> { return sortedMap(this._env); }
  /** Secret files and their modes, readable by `secretsOwner` (see modeForReader). */
  get secrets(): readonly SecretMount[] { return sortedValues(this._secrets).map((m) => ({ ...m, mode: modeForReader(m.mode, this.secretsOwner) })); }
  get files(): readonly FileSpec[] { return sortedValues(this._files).map((f) => ({ ...f, mode: modeForReader(f.mode, this.secretsOwner) })); }
  get ports(): readonly PortSpec[] { return sortedValues(this._ports); }
  get routes(): readonly RouteSpec[] { return [...this._routes]; }
  get volumes(): readonly VolumeSpec[] { return sortedValues(this._volumes); }
  get bindMounts(): readonly BindMount[] { return [...this._binds].sort((a, b) => a.path.localeCompare(b.path)); }
  get dependencies(): readonly Dependency[] { return sortedValues(this._deps); }

  port(name: string): PortSpec | undefined {
    return this._ports.get(name);
  }

  /** The named port of replica n (1-based): its own (a worker pool's sequential ports) or the service's. */
  replicaPort(replica: number, name: string): PortSpec | undefined {
    return this.perReplica?.(replica).ports?.find((p) => p.name === name) ?? this.port(name);
  }

  /** True when the service, or each of its replicas (a worker pool's own ports), has this named port. */
  hasPort(name: string): boolean {
    return this._ports.has(name) || (this.perReplica?.(1).ports ?? []).some((p) => p.name === name);
  }
}

/** Secrets a file's content embeds (none for generated plain-text files). */
export function secretsIn(file: FileSpec): string[] {
  return typeof file.content === 'function' ? [] : file.content.flatMap((p) => (typeof p === 'string' ? [] : [p.secret]));
}

/**
 * The mode a file gets when a non-root user reads it. Targets create secret files as root:root,
 * so the owner's read bit is given to the group as well (0400 → 0440) and the reader reads through
 * group root: its primary group (Grafana's image runs as 472:0) or one the target adds (Docker:
 * group_add). Modes that already let everyone read (0444) stay as they are.
 */
export function modeForReader(mode: string, reader: FileOwner): string {
  if (reader.uid === 0) return mode;
  const bits = parseInt(mode, 8);
  return `0${(bits | ((bits & 0o400) >> 3)).toString(8).padStart(3, '0')}`;
}

export function secretPath(name: string): string {
  return `/run/secrets/${name}`;
}

function sortedMap<V>(m: Map<string, V>): ReadonlyMap<string, V> {
  return new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sortedValues<V>(m: Map<string, V>): V[] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

function constructOrigin(c: Construct): Origin {
  return { locate: (subpath) => ({ file: `construct ${c.node.path}`, line: 0, col: 0, path: subpath ?? '' }) };
}
