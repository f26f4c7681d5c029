/**
 * The two documents every deploy decision reads: a synthesized stack (cdk.tf.json) and the
 * environment's Terraform state (`tofu state pull`, decrypted by the engine). Only the fields
 * the decisions use are typed; everything is read defensively, since a state can be empty,
 * missing, or written by another version.
 */

export interface StackLabel { readonly label: string; readonly value: string }

export interface StackContainer {
  readonly name?: string;
  readonly labels?: readonly StackLabel[];
  readonly depends_on?: readonly string[];
  /** Run attached to completion (one-shot jobs). */
  readonly attach?: boolean;
  readonly must_run?: boolean;
  readonly lifecycle?: { readonly create_before_destroy?: boolean };
}

export interface StackJson {
  readonly '//'?: { readonly metadata?: { readonly stackName?: string }; readonly stackyard?: StackyardMeta };
  readonly provider?: { readonly docker?: readonly DockerProvider[] | DockerProvider };
  readonly resource?: { readonly docker_container?: Readonly<Record<string, StackContainer>> } & Readonly<Record<string, unknown>>;
  readonly variable?: Readonly<Record<string, unknown>>;
}

/** What stackyard records about an environment in its synthesized stack (a JSON comment). */
export interface StackyardMeta {
  readonly environment: string;
  readonly production: boolean;
  /** Terraform variable holding the state passphrase; absent when state encryption is off. */
  readonly statePassphraseVariable?: string;
  readonly stateBackend: 'local' | 'pg' | 's3';
  /** The environment keeps its secrets as GitHub secrets (`github:`). */
  readonly github: boolean;
}

export interface StateInstance {
  readonly index_key?: unknown;
  readonly status?: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface StateResource {
  readonly mode?: string;
  readonly type: string;
  readonly name: string;
  readonly module?: string;
  /** `provider["registry.opentofu.org/kreuzwerker/docker"].<alias>` */
  readonly provider?: string;
  readonly instances?: readonly StateInstance[];
}

export interface StateJson {
  readonly resources?: readonly StateResource[];
}

/** Parses `tofu state pull` output; an empty output (no state yet) is an empty state. */
export function parseState(text: string): StateJson {
  const raw = text.trim();
  if (!raw) return { resources: [] };
  const j = JSON.parse(raw) as StateJson;
  return { resources: Array.isArray(j.resources) ? j.resources : [] };
}

export function stackContainers(stack: StackJson): Record<string, StackContainer> {
  return { ...(stack.resource?.docker_container ?? {}) };
}

/** A docker provider block of a synthesized stack. */
interface DockerProvider { readonly alias?: string; readonly host: string; readonly ssh_opts?: readonly string[] }

export function dockerHosts(stack: StackJson): { alias: string; host: string; sshOpts: string[] }[] {
  const p = stack.provider?.docker;
  const list: readonly DockerProvider[] = p === undefined ? [] : Array.isArray(p) ? p : [p as DockerProvider];
  return list.map((h) => ({ alias: h.alias ?? 'default', host: h.host, sshOpts: [...(h.ssh_opts ?? [])] }));
}

export function environmentOf(stack: StackJson): string | undefined {
  return stack['//']?.stackyard?.environment ?? stack['//']?.metadata?.stackName;
}

/** Managed docker_container instances of a state, by resource address. */
export function stateContainers(state: StateJson): { address: string; name?: string; exitCode?: number | null; status?: string }[] {
  const out: { address: string; name?: string; exitCode?: number | null; status?: string }[] = [];
  for (const r of state.resources ?? []) {
    if (r.type !== 'docker_container' || (r.mode && r.mode !== 'managed')) continue;
    for (const i of r.instances ?? []) {
      const base = `${r.module ? r.module + '.' : ''}docker_container.${r.name}`;
      const address = i.index_key === undefined ? base : `${base}[${JSON.stringify(i.index_key)}]`;
      const name = typeof i.attributes?.name === 'string' ? (i.attributes.name as string).replace(/^\//, '') : undefined;
      const ec = i.attributes?.exit_code;
      out.push({ address, name, exitCode: typeof ec === 'number' ? ec : null, status: i.status });
    }
  }
  return out;
}

/** Names of the managed docker_network instances of a state. */
export function stateNetworks(state: StateJson): string[] {
  const out: string[] = [];
  for (const r of state.resources ?? []) {
    if (r.type !== 'docker_network' || (r.mode && r.mode !== 'managed')) continue;
    for (const i of r.instances ?? []) if (typeof i.attributes?.name === 'string') out.push(i.attributes.name as string);
  }
  return out.sort();
}
