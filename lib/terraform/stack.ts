/**
 * The Terraform stack of an environment, the one the Docker and GitHub targets render into: state
 * backend, every declared secret as a sensitive variable, the secrets' versions, the release tag
 * variable; lib/docker/render.ts adds one provider per host and the Services' resources,
 * lib/github/render.ts the GitHub environment. Built from the neutral model (lib/environment.ts),
 * which knows nothing of Terraform: the `${var.NAME}` a secret becomes is decided here. Only
 * lib/terraform/, lib/docker/, lib/github/ and lib/app.ts import cdktf, so a move to CDK Terrain
 * stays small; the Kubernetes target never loads it.
 */
import { LocalBackend, PgBackend, S3Backend, TerraformResource, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { formatProblem } from '../config/errors';
import type { StateConfig } from '../config/sections';
import { encryptionBlock, MIGRATE_STATE_VARIABLE, migrationRequested, STATE_PASSPHRASE_VARIABLE } from '../deploy/encryption';
import { SECRET_VERSION_RESOURCE, SECRET_VERSIONS_VARIABLE } from '../deploy/secret-versions';
import type { StackyardMeta } from '../deploy/stack-json';
import type { Environment } from '../environment';
import { checkEnvironment } from '../invariants';

/** Terraform variable holding the release tag (TF_VAR_RELEASE_TAG at deploy time). */
export const RELEASE_VARIABLE = 'RELEASE_TAG';

/** The folder, relative to a stack's working directory (cdktf.out/stacks/<name>), holding local state. */
export const LOCAL_STATE_DIR = '../../../.stackyard/state';

export class EnvironmentStack extends TerraformStack {
  /** The model this stack renders. */
  readonly model: Environment;

  /** Declares the backend and the variables; the targets add the rest (lib/app.ts environmentStack()). */
  constructor(scope: Construct, model: Environment) {
    super(scope, model.environmentName);
    this.model = model;
    const state = model.state;
    this.configureBackend(state);
    if (model.stateEncrypted) this.configureEncryption();
    const meta: StackyardMeta = {
      environment: model.environmentName,
      production: model.production,
      stateBackend: state.backend,
      github: model.github !== undefined,
      ...(model.stateEncrypted ? { statePassphraseVariable: STATE_PASSPHRASE_VARIABLE } : {}),
    };
    this.addOverride('//.stackyard', meta);
    // the model rules bin/main.ts reports, for models built from code and synthesized by cdktf
    // (a model built from a file ran them already: they run once)
    this.node.addValidation({ validate: () => (model.validated ? [] : checkEnvironment(model).map(formatProblem)) });
    for (const name of model.secretNames) {
      const v = new TerraformVariable(this, name, {
        type: 'string',
        sensitive: true,
        nullable: false,
        description: `Secret ${name}; give it at deploy time as TF_VAR_${name}.`,
      });
      v.overrideLogicalId(name);
    }
    if (model.recordsSecretVersions) {
      const versions = new TerraformVariable(this, SECRET_VERSIONS_VARIABLE, {
        type: 'map(string)',
        sensitive: true,
        nullable: false,
        description: 'Version of each secret (a keyed hash, never the value); the deploy computes it from the values and the state passphrase.',
      });
      versions.overrideLogicalId(SECRET_VERSIONS_VARIABLE);
      for (const name of model.secretNames) {
        // terraform_data (built into OpenTofu); not cdktf's DataResource, whose validation runs
        // `terraform version` at every synth
        const d = new TerraformResource(this, `${SECRET_VERSION_RESOURCE}${name}`, { terraformResourceType: 'terraform_data' });
        d.addOverride('input', `\${var.${SECRET_VERSIONS_VARIABLE}["${name}"]}`);
        d.overrideLogicalId(`${SECRET_VERSION_RESOURCE}${name}`);
      }
    }
    if (model.releaseTag !== undefined) {
      const release = new TerraformVariable(this, RELEASE_VARIABLE, {
        type: 'string',
        default: model.releaseTag,
        description: `Tag of the released application images; roll back by deploying an older one (TF_VAR_${RELEASE_VARIABLE}=sha-1234567).`,
        validation: [{ condition: `\${can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.${RELEASE_VARIABLE}))}`, errorMessage: 'A release tag is a Docker tag: letters, digits, _ . -, up to 128 characters.' }],
      });
      release.overrideLogicalId(RELEASE_VARIABLE);
    }
  }

  /** Address of the resource recording a secret's version (for replace_triggered_by), or undefined when versions are off. */
  secretVersionAddress(name: string): string | undefined {
    return this.model.recordsSecretVersions && this.model.hasSecret(name) ? `terraform_data.${SECRET_VERSION_RESOURCE}${name}` : undefined;
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

  /** OpenTofu state and plan encryption with a deploy-time passphrase (lib/deploy/encryption.ts). */
  private configureEncryption(): void {
    const v = new TerraformVariable(this, STATE_PASSPHRASE_VARIABLE, {
      type: 'string',
      sensitive: true,
      nullable: false,
      description: `Passphrase of the encrypted state and plan files (at least 16 characters); give it at deploy time as TF_VAR_${STATE_PASSPHRASE_VARIABLE}.`,
    });
    v.overrideLogicalId(STATE_PASSPHRASE_VARIABLE);
    this.addOverride('terraform.encryption', encryptionBlock(migrationRequested(this.model.environmentName, process.env[MIGRATE_STATE_VARIABLE])));
  }

  private configureBackend(state: StateConfig): void {
    const name = this.model.environmentName;
    // under its own scope: cdktf names the backend construct "backend", a likely service name
    const scope = new Construct(this, 'state');
    switch (state.backend) {
      case 'local':
        new LocalBackend(scope, { path: `${LOCAL_STATE_DIR}/${name}.tfstate` });
        return;
      case 'pg':
        // connection string from PG_CONN_STR at deploy time
        new PgBackend(scope, { connStr: undefined as unknown as string, schemaName: state.schema ?? `stackyard_${name.replace(/-/g, '_')}` });
        return;
      case 's3':
        // credentials from AWS_* at deploy time
        new S3Backend(scope, {
          bucket: state.bucket,
          region: state.region,
          key: state.key ?? `stackyard/${name}.tfstate`,
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
