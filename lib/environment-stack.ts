/**
 * One TerraformStack per environment: state backend, one provider per host, every declared
 * secret as a sensitive variable, and the Services the constructs registered. This file and
 * lib/docker/ are the only places that import cdktf, so a move to CDK Terrain stays small.
 */
import { LocalBackend, PgBackend, S3Backend, TerraformResource, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { formatProblem, type Problem } from './config/errors';
import { checkEnvironment } from './invariants';
import { encryptionBlock, MIGRATE_STATE_VARIABLE, migrationRequested, STATE_PASSPHRASE_VARIABLE } from './deploy/encryption';
import { SECRET_VERSION_RESOURCE, SECRET_VERSIONS_VARIABLE } from './deploy/secret-versions';
import type { StackyardMeta } from './deploy/stack-json';
import type { EnvironmentModel, HostProps, ProxyInfo, ReachSpec } from './model';
import type { GithubConfig, KubernetesConfig, RegistryConfig, StateConfig } from './config/sections';
import { Service } from './service';
import type { Origin } from './values';

export type { HostProps, ProxyInfo } from './model';

export interface EnvironmentStackProps {
  readonly name: string;
  readonly hosts: readonly HostProps[];
  /** Secret names; each becomes a sensitive variable `TF_VAR_<NAME>`. @default [] */
  readonly secrets?: readonly string[];
  /** Production rules: pinned tags, no Adminer. @default false */
  readonly production?: boolean;
  /** prevent_destroy on data volumes. @default true */
  readonly protectVolumes?: boolean;
  /** @default { backend: 'local' } */
  readonly state?: StateConfig;
  readonly github?: GithubConfig;
  /** Private registries every host logs in to. @default [] */
  readonly registries?: readonly RegistryConfig[];
  /** Default release tag for images released together. @default - no release variable */
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

/** Terraform variable holding the release tag (TF_VAR_RELEASE_TAG at deploy time). */
export const RELEASE_VARIABLE = 'RELEASE_TAG';

/** The folder, relative to a stack's working directory (cdktf.out/stacks/<name>), holding local state. */
export const LOCAL_STATE_DIR = '../../../.stackyard/state';

export class EnvironmentStack extends TerraformStack implements EnvironmentModel {
  static of(c: Construct): EnvironmentStack {
    let s: Construct | undefined = c;
    while (s && !(s instanceof EnvironmentStack)) s = s.node.scope;
    if (!s) throw new Error(`${c.node.path} is not inside an EnvironmentStack`);
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
  /**
   * Each secret's version (a keyed hash of its value, lib/deploy/secret-versions.ts) is recorded in
   * `terraform_data.secret_version_<NAME>`, and a container that reads the secret is replaced when
   * it changes. Needs state encryption (the key comes from its passphrase); Docker target only.
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
  private readonly secretVars = new Map<string, TerraformVariable>();
  private rendered = false;
  private validated = false;

  constructor(scope: Construct, props: EnvironmentStackProps) {
    super(scope, props.name);
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
    const state = props.state ?? { backend: 'local', encryption: true };
    this.configureBackend(state);
    if (state.encryption !== false) this.configureEncryption();
    if ((props.secrets ?? []).includes(STATE_PASSPHRASE_VARIABLE) && state.encryption !== false) {
      const at = props.origin?.locate('secrets') ?? { file: `construct ${this.node.path}`, line: 0, col: 0, path: 'secrets' };
      this.wiringProblems.push({ ...at, message: `${STATE_PASSPHRASE_VARIABLE} is the state passphrase stackyard declares itself; pick another secret name` });
    }
    const meta: StackyardMeta = {
      environment: props.name,
      production: this.production,
      stateBackend: state.backend,
      github: props.github !== undefined,
      ...(state.encryption !== false ? { statePassphraseVariable: STATE_PASSPHRASE_VARIABLE } : {}),
    };
    this.addOverride('//.stackyard', meta);
    // the model rules bin/main.ts reports, for stacks built from code and synthesized by cdktf
    // (a stack built from a file ran them already: they run once)
    this.node.addValidation({ validate: () => (this.validated ? [] : checkEnvironment(this).map(formatProblem)) });
    for (const name of [...(props.secrets ?? [])].sort()) {
      if (name === STATE_PASSPHRASE_VARIABLE && state.encryption !== false) continue; // reported above
      const v = new TerraformVariable(this, name, {
        type: 'string',
        sensitive: true,
        nullable: false,
        description: `Secret ${name}; give it at deploy time as TF_VAR_${name}.`,
      });
      v.overrideLogicalId(name);
      this.secretVars.set(name, v);
    }
    this.recordsSecretVersions = state.encryption !== false && this.platform === 'docker' && this.secretVars.size > 0;
    if (this.recordsSecretVersions) {
      const versions = new TerraformVariable(this, SECRET_VERSIONS_VARIABLE, {
        type: 'map(string)',
        sensitive: true,
        nullable: false,
        description: 'Version of each secret (a keyed hash, never the value); the deploy computes it from the values and the state passphrase.',
      });
      versions.overrideLogicalId(SECRET_VERSIONS_VARIABLE);
      for (const name of this.secretVars.keys()) {
        // terraform_data (built into OpenTofu); not cdktf's DataResource, whose validation runs
        // `terraform version` at every synth
        const d = new TerraformResource(this, `${SECRET_VERSION_RESOURCE}${name}`, { terraformResourceType: 'terraform_data' });
        d.addOverride('input', `\${var.${SECRET_VERSIONS_VARIABLE}["${name}"]}`);
        d.overrideLogicalId(`${SECRET_VERSION_RESOURCE}${name}`);
      }
    }
    if (props.releaseTag !== undefined) {
      const release = new TerraformVariable(this, RELEASE_VARIABLE, {
        type: 'string',
        default: props.releaseTag,
        description: `Tag of the released application images; roll back by deploying an older one (TF_VAR_${RELEASE_VARIABLE}=sha-1234567).`,
        validation: [{ condition: `\${can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.${RELEASE_VARIABLE}))}`, errorMessage: 'A release tag is a Docker tag: letters, digits, _ . -, up to 128 characters.' }],
      });
      release.overrideLogicalId(RELEASE_VARIABLE);
    }
  }

  private readonly nextPort = new Map<string, number>();

  /** Reserves `count` consecutive host ports on a host, from `base` or after earlier reservations. */
  allocatePorts(host: string, base: number, count: number): number {
    const first = Math.max(base, this.nextPort.get(host) ?? base);
    this.nextPort.set(host, first + count);
    return first;
  }

  get secretNames(): readonly string[] {
    return [...this.secretVars.keys()];
  }

  hasSecret(name: string): boolean {
    return this.secretVars.has(name);
  }

  /** Address of the resource recording a secret's version (for replace_triggered_by), or undefined when versions are off. */
  secretVersionAddress(name: string): string | undefined {
    return this.recordsSecretVersions && this.secretVars.has(name) ? `terraform_data.${SECRET_VERSION_RESOURCE}${name}` : undefined;
  }

  /**
   * The reference to a secret's variable inside a Terraform expression, `var.<NAME>` (e.g. in
   * `urlencode(...)`): only ever a reference, never the value. Undeclared secrets are the
   * invariants' to report, with a position; the text is the same either way.
   */
  secretReference(name: string): string {
    return `var.${name}`;
  }

  /** A secret's value as Terraform interpolates it, `${var.<NAME>}`: only ever a reference, never the value. */
  secretExpression(name: string): string {
    return `\${${this.secretReference(name)}}`;
  }

  /** Every Service in the environment, in construct-tree order. */
  get services(): Service[] {
    return this.node.findAll().filter((c): c is Service => c instanceof Service);
  }

  service(name: string): Service | undefined {
    return this.services.find((s) => s.serviceName === name);
  }

  /** The model rules ran on the finished model (lib/build.ts validate()); cdktf's validation at synth skips them. */
  markValidated(): void {
    this.validated = true;
  }

  /** Renders the Services with a target, once, after every construct and relationship is in place. */
  render(target: (stack: EnvironmentStack) => void): void {
    if (this.rendered) return;
    this.rendered = true;
    target(this);
  }

  /** OpenTofu state and plan encryption with a deploy-time passphrase (lib/deploy/encryption.ts). */
  private configureEncryption(): void {
    const v = new TerraformVariable(this, STATE_PASSPHRASE_VARIABLE, {
      type: 'string',
      sensitive: true,
      nullable: false,
      description: `Passphrase of the encrypted state and plan files (at least 16 characters); give it at deploy time as TF_VAR_${STATE_PASSPHRASE_VARIABLE}.`,
    });
    v.overrideLogicalId(STATE_PASSPHRASE_VARIABLE);
    this.addOverride('terraform.encryption', encryptionBlock(migrationRequested(this.environmentName, process.env[MIGRATE_STATE_VARIABLE])));
  }

  private configureBackend(state: StateConfig): void {
    // under its own scope: cdktf names the backend construct "backend", a likely service name
    const scope = new Construct(this, 'state');
    switch (state.backend) {
      case 'local':
        new LocalBackend(scope, { path: `${LOCAL_STATE_DIR}/${this.environmentName}.tfstate` });
        return;
      case 'pg':
        // connection string from PG_CONN_STR at deploy time
        new PgBackend(scope, { connStr: undefined as unknown as string, schemaName: state.schema ?? `stackyard_${this.environmentName.replace(/-/g, '_')}` });
        return;
      case 's3':
        // credentials from AWS_* at deploy time
        new S3Backend(scope, {
          bucket: state.bucket,
          region: state.region,
          key: state.key ?? `stackyard/${this.environmentName}.tfstate`,
          ...(state.endpoint ? { endpoints: { s3: state.endpoint }, usePathStyle: true } : {}),
          encrypt: state.encrypt,
          ...(state.kmsKeyId ? { kmsKeyId: state.kmsKeyId } : {}),
        });
        // S3-native state locking (OpenTofu ≥ 1.10); cdktf 0.21 has no property for it
        if (state.useLockfile) this.addOverride('terraform.backend.s3.use_lockfile', true);
        return;
    }
  }
}
