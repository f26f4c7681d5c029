/**
 * The environment model: a plain construct tree, neutral (no cdktf, no Terraform expressions).
 * An Environment is the root of its own tree; the constructs in constructs/ register their
 * Services, the proxy, NFS volumes and wiring problems in it, and the targets read it: the Docker
 * and GitHub targets render it into a Terraform stack (lib/terraform/stack.ts), the Kubernetes
 * target into manifests (lib/kubernetes/render.ts), the ops commands query it.
 */
import { Construct, RootConstruct } from 'constructs';
import type { Problem } from './config/errors';
import type { GithubConfig, KubernetesConfig, RegistryConfig, StateConfig } from './config/sections';
import { STATE_PASSPHRASE_VARIABLE } from './deploy/encryption';
import type { EnvironmentModel, HostProps, ProxyInfo, ReachSpec } from './model';
import { Service } from './service';
import type { Origin } from './values';

export type { HostProps, ProxyInfo } from './model';

export interface EnvironmentProps {
  readonly name: string;
  readonly hosts: readonly HostProps[];
  /** Declared secret names (given at deploy time as `TF_VAR_<NAME>`). @default [] */
  readonly secrets?: readonly string[];
  /** Production rules: pinned tags, no Adminer. @default false */
  readonly production?: boolean;
  /** prevent_destroy on data volumes. @default true */
  readonly protectVolumes?: boolean;
  /** @default { backend: 'local', encryption: true } */
  readonly state?: StateConfig;
  readonly github?: GithubConfig;
  /** Private registries every host logs in to. @default [] */
  readonly registries?: readonly RegistryConfig[];
  /** Default release tag for images released together. @default - no release tag */
  readonly releaseTag?: string;
  /** Declared secrets another stack keeps at GitHub repository level. @default [] */
  readonly repositorySecretsElsewhere?: readonly string[];
  /** @default docker */
  readonly platform?: 'docker' | 'kubernetes';
  /** The cluster, when the platform is kubernetes. @default - none */
  readonly kubernetes?: KubernetesConfig;
  /** Ofelia image of the hosts' scheduler (Docker target). @default - lib/docker/scheduler.ts SCHEDULER_IMAGE */
  readonly schedulerImage?: string;
  /** Where the environment came from. @default - construct path */
  readonly origin?: Origin;
}

export class Environment extends Construct implements EnvironmentModel {
  static of(c: Construct): Environment {
    let s: Construct | undefined = c;
    while (s && !(s instanceof Environment)) s = s.node.scope;
    if (!s) throw new Error(`${c.node.path} is not inside an Environment`);
    return s;
  }

  readonly environmentName: string;
  readonly production: boolean;
  readonly protectVolumes: boolean;
  readonly platform: 'docker' | 'kubernetes';
  readonly kubernetes?: KubernetesConfig;
  readonly hosts: ReadonlyMap<string, HostProps>;
  readonly github?: GithubConfig;
  readonly registries: readonly RegistryConfig[];
  readonly repositorySecretsElsewhere: readonly string[];
  readonly origin?: Origin;
  /** The environment file's `scheduler.image`, when given. */
  readonly schedulerImage?: string;
  readonly state: StateConfig;
  /** State and plan files are encrypted with a deploy-time passphrase (lib/deploy/encryption.ts). */
  readonly stateEncrypted: boolean;
  /** The default release tag, when images are released together. */
  readonly releaseTag?: string;
  /** Declared secrets, sorted (the state passphrase, which stackyard declares itself, left out). */
  readonly secretNames: readonly string[];
  /**
   * Each secret's version (a keyed hash of its value, lib/deploy/secret-versions.ts) is recorded,
   * and a container that reads the secret is replaced when it changes. Needs state encryption
   * (the key comes from its passphrase); Docker target only.
   */
  readonly recordsSecretVersions: boolean;
  /** Problems found while wiring (e.g. a cross-host reference with no address); reported by validate(). */
  readonly wiringProblems: Problem[] = [];
  /**
   * Services that reach other services' ports from their own host (Prometheus scraping, Grafana's
   * datasources): checked like `uses:` across hosts (a port bound to 127.0.0.1 is unreachable).
   */
  readonly reaches: ReachSpec[] = [];
  /** The reverse proxy, once a proxy construct registered itself. */
  proxy?: ProxyInfo;
  /** NFS volumes services can mount: name → the NFS server's service, exported path, mount options. */
  readonly nfsVolumes = new Map<string, { readonly server: Service; readonly path: string; readonly options: string }>();
  private readonly nextPort = new Map<string, number>();
  private readonly declared: ReadonlySet<string>;
  private checked = false;

  /** A new model, the root of its own construct tree (its path is its name). */
  constructor(props: EnvironmentProps) {
    super(new RootConstruct(), props.name);
    this.environmentName = props.name;
    this.production = props.production ?? false;
    this.platform = props.platform ?? 'docker';
    this.kubernetes = props.kubernetes;
    this.protectVolumes = props.protectVolumes ?? true;
    this.hosts = new Map(props.hosts.map((h) => [h.name, h]));
    this.github = props.github;
    this.registries = props.registries ?? [];
    this.repositorySecretsElsewhere = props.repositorySecretsElsewhere ?? [];
    this.origin = props.origin;
    this.schedulerImage = props.schedulerImage;
    this.releaseTag = props.releaseTag;
    this.state = props.state ?? { backend: 'local', encryption: true };
    this.stateEncrypted = this.state.encryption !== false;
    const secrets = [...new Set(props.secrets ?? [])].sort();
    if (secrets.includes(STATE_PASSPHRASE_VARIABLE) && this.stateEncrypted) {
      const at = props.origin?.locate('secrets') ?? { file: `construct ${this.node.path}`, line: 0, col: 0, path: 'secrets' };
      this.wiringProblems.push({ ...at, message: `${STATE_PASSPHRASE_VARIABLE} is the state passphrase stackyard declares itself; pick another secret name` });
    }
    this.secretNames = secrets.filter((n) => !(n === STATE_PASSPHRASE_VARIABLE && this.stateEncrypted));
    this.declared = new Set(this.secretNames);
    this.recordsSecretVersions = this.stateEncrypted && this.platform === 'docker' && this.secretNames.length > 0;
  }

  /** Reserves `count` consecutive host ports on a host, from `base` or after earlier reservations. */
  allocatePorts(host: string, base: number, count: number): number {
    const first = Math.max(base, this.nextPort.get(host) ?? base);
    this.nextPort.set(host, first + count);
    return first;
  }

  hasSecret(name: string): boolean {
    return this.declared.has(name);
  }

  /** Every Service in the environment, in construct-tree order. */
  get services(): Service[] {
    return this.node.findAll().filter((c): c is Service => c instanceof Service);
  }

  service(name: string): Service | undefined {
    return this.services.find((s) => s.serviceName === name);
  }

  /** True once the model rules ran on the finished model (lib/build.ts validate()); a target's own check then skips them. */
  get validated(): boolean {
    return this.checked;
  }

  markValidated(): void {
    this.checked = true;
  }
}
