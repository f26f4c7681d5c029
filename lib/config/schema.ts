/**
 * The environment file schema (zod): the file's top level here, each service kind's entry in its
 * own file (constructs/index.ts lists them). Every field's description and default live in the
 * schema, once: environments/schema.json (`npm run schema`) and README's environment-file
 * reference are generated from it.
 */
import { z } from 'zod';
import { KINDS, type ServiceKind } from '../../constructs/index';
import { NfsVolumeSchema } from '../../constructs/nfs-server';
import { SchedulerSchema } from '../docker/scheduler';
import { name, secretName } from './fields';
import { GithubSchema, HostSchema, KubernetesSchema, RegistrySchema, ReleaseSchema, StateSchema } from './sections';

export { BRANCH_NAME, BRANCH_PATTERN, DOCKER_URL, GITHUB_ENVIRONMENT, HOST_KEY, HostSchema } from './sections';
export type { GithubConfig, HostConfig, KubernetesConfig, RegistryConfig, StateConfig } from './sections';
export { NAME, IDENTIFIER, SECRET, ENV_KEY, DURATION, MEMORY, MIN_MEMORY_MB, MAX_REPLICAS, memoryMiB } from './fields';

type SchemaOf<K> = K extends { readonly schema: infer S } ? S : never;
type Schemas<T extends readonly unknown[]> = { -readonly [I in keyof T]: SchemaOf<T[I]> };
type KindSchemas = Schemas<typeof KINDS>;
/** One entry of `services:`: the schema of its kind (constructs/index.ts lists them). */
export const ServiceSchema = z.discriminatedUnion('kind', KINDS.map((k) => k.schema) as unknown as KindSchemas);
export const SERVICE_KINDS: readonly ServiceKind[] = KINDS.map((k) => k.kind);

export const EnvironmentSchema = z.strictObject({
  name: name('an environment name').describe('Stack name; also the prefix of every container, network and volume.'),
  partial: z.boolean().default(false).describe('A partial file is only used through `extends:` and never becomes a stack.'),
  extends: z.string().optional().describe('Path of a file this one extends, relative to this file (maps merge deeply, lists replace).'),
  production: z.boolean().default(false).describe('Production rules apply: pinned image tags, no Adminer, reviewers required.'),
  protectVolumes: z.boolean().default(true).describe('Data volumes carry prevent_destroy.'),
  platform: z.enum(['docker', 'kubernetes']).default('docker').describe('docker: `hosts:` are Docker engines; kubernetes: one namespace of a cluster, described by `kubernetes:`.'),
  kubernetes: KubernetesSchema.optional().describe('The cluster (platform kubernetes only).'),
  state: StateSchema.default({ backend: 'local', encryption: true }).describe('Where Terraform state lives: local, pg or s3.'),
  github: GithubSchema.optional().describe('The GitHub environment, its protection, secrets and variables this file owns. Default: nothing on GitHub.'),
  scheduler: SchedulerSchema,
  registries: z.array(RegistrySchema).default([]).describe('Private registries every host logs in to.'),
  nfs: z.record(name('an NFS volume name'), NfsVolumeSchema).default({}).describe('NFS volumes services mount with `mounts:`.'),
  release: ReleaseSchema.optional().describe('Application images released together under one tag, chosen at deploy time. Default: none.'),
  hosts: z.record(name('a host name'), HostSchema).default({}).describe('Docker hosts (platform docker only).'),
  secrets: z.array(secretName).default([]).describe('Names of secrets given at deploy time as TF_VAR_<NAME>. Never values.'),
  services: z.record(name('a service name'), ServiceSchema).describe('The services, each with its `kind:`.'),
});

export type EnvironmentConfig = z.output<typeof EnvironmentSchema>;
export type ServiceConfig = z.output<typeof ServiceSchema>;
export type { HealthcheckConfig, SecretRefConfig } from './fields';
export type { ServiceKind } from '../../constructs/index';

/** A partial file: everything optional, so a base topology can leave out what each environment sets. */
export const PartialEnvironmentSchema = z.looseObject({ partial: z.literal(true), extends: z.string().optional() });
