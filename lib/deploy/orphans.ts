/**
 * The orphan reaper's decision. Before a deploy, containers that carry the environment's label
 * but that the state does not know are in the way of the apply (name conflicts): an apply that
 * was killed after Docker created them but before the state recorded them leaves such
 * containers behind. Removing those is safe: they are replaced from the environment file and
 * their data lives in named volumes that `docker rm` keeps.
 *
 * The same rule would delete a whole environment when the state is the wrong one (a fresh
 * clone on local state, a wrong bucket or key): every container is then "unknown". So when the
 * state knows none of the labelled containers, nothing is removed and the deploy stops, naming
 * the containers and the ways out. A removal of a container that mounts data volumes is never
 * silent: the message names the volumes that stay.
 *
 * Networks are in the way too: Docker refuses a second network of the same name, so a network
 * the state does not know (an adopted environment's, or one a killed apply created) fails the
 * apply with "network with name ... already exists". Such a network is removed with the
 * containers, when no container outside those removals uses it. A network holds no data.
 */

export interface LabelledContainer {
  readonly name: string;
  /** Named volumes it mounts (data that outlives the container). */
  readonly volumes: readonly string[];
  /** Networks it is configured to attach to. */
  readonly networks?: readonly string[];
}

export interface HostListing {
  readonly alias: string;
  readonly host: string;
  readonly containers: readonly LabelledContainer[];
  /** Networks labelled with the environment. */
  readonly networks?: readonly LabelledNetwork[];
}

export interface LabelledNetwork {
  readonly name: string;
  /** Every container that uses it: attached now, or configured to attach (a stopped one). */
  readonly users: readonly string[];
}

export interface Removal {
  readonly alias: string;
  readonly host: string;
  readonly name: string;
  readonly message: string;
}

export type ReapDecision =
  | { readonly kind: 'refuse'; readonly message: string }
  | { readonly kind: 'remove'; readonly removals: readonly Removal[]; readonly networks: readonly Removal[] };

export interface ReapInput {
  readonly environment: string;
  /** Container names the state knows (without a leading slash). */
  readonly known: ReadonlySet<string>;
  /** Network names the state knows. */
  readonly knownNetworks?: ReadonlySet<string>;
  readonly hosts: readonly HostListing[];
  /** The operator asked to adopt an environment the state does not know (`--adopt-orphans`). */
  readonly adopt: boolean;
}

/** The flag and variable that let a deploy remove containers of an environment its state does not know. */
export const ADOPT_FLAG = '--adopt-orphans';
export const adoptVariable = 'STACKYARD_ADOPT_ORPHANS';

const describe = (c: LabelledContainer) => (c.volumes.length ? `${c.name} (data volumes: ${c.volumes.join(', ')})` : c.name);

export function decideReap(input: ReapInput): ReapDecision {
  const all = input.hosts.flatMap((h) => h.containers.map((c) => ({ h, c })));
  const unknown = all.filter(({ c }) => !input.known.has(c.name));
  if (!unknown.length) return { kind: 'remove', removals: [], networks: networkRemovals(input, []) };
  const stateKnowsEnvironment = all.some(({ c }) => input.known.has(c.name));
  if (!stateKnowsEnvironment && !input.adopt) {
    const lines = input.hosts
      .filter((h) => h.containers.length)
      .map((h) => `    on ${h.alias} (${h.host}): ${h.containers.map(describe).join(', ')}`);
    return {
      kind: 'refuse',
      message: [
        `the state of ${input.environment} knows none of the ${all.length} container(s) labelled stackyard.environment=${input.environment}:`,
        ...lines,
        '  Nothing was removed. The state is empty or not the one that deployed them (a fresh clone on local state,',
        '  a wrong bucket or key, a lost .stackyard/state file). Either:',
        `    - point \`state:\` at the right backend, or restore .stackyard/state/${input.environment}.tfstate, and deploy again; or`,
        `    - adopt them: deploy with ${ADOPT_FLAG} (or ${adoptVariable}=${input.environment}), which removes these containers and`,
        '      recreates them from the environment file; named data volumes are kept and reused, so bring the',
        `      secrets they were created with too (copy .stackyard/secrets/${input.environment}.env from the clone that deployed them):`,
        '      a database volume keeps the password it was initialized with, and newly generated ones fail to log in; or',
        '    - import them one by one: tofu import docker_container.<id> <container id> (in cdktf.out/stacks/<env>).',
      ].join('\n'),
    };
  }
  const removals = unknown.map(({ h, c }) => ({
      alias: h.alias,
      host: h.host,
      name: c.name,
      message: c.volumes.length
        ? `removing container ${c.name} on ${h.alias} (not in the state); its data volumes stay: ${c.volumes.join(', ')}`
        : `removing container ${c.name} on ${h.alias} (not in the state)`,
  }));
  return { kind: 'remove', removals, networks: networkRemovals(input, removals) };
}

/** Networks the state does not know and that nothing but the removed containers uses. */
function networkRemovals(input: ReapInput, removals: readonly Removal[]): Removal[] {
  const known = input.knownNetworks ?? new Set<string>();
  const out: Removal[] = [];
  for (const h of input.hosts) {
    const gone = new Set(removals.filter((r) => r.alias === h.alias).map((r) => r.name));
    for (const n of h.networks ?? []) {
      if (known.has(n.name)) continue;
      const users = new Set([...n.users, ...h.containers.filter((c) => (c.networks ?? []).includes(n.name)).map((c) => c.name)]);
      if ([...users].some((u) => !gone.has(u))) continue; // still in use: the apply reports the conflict
      out.push({ alias: h.alias, host: h.host, name: n.name, message: `removing network ${n.name} on ${h.alias} (not in the state, no container left on it)` });
    }
  }
  return out.sort((a, b) => a.alias.localeCompare(b.alias) || a.name.localeCompare(b.name));
}

/** The deploy stops when a host cannot be listed: skipping it would deploy against a half-known environment. */
export function unreachableHost(alias: string, host: string, detail: string): string {
  const why = detail.split('\n').map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? 'no answer';
  return `host ${alias} (${host}) is unreachable: ${why}\n  nothing was deployed; check that the Docker engine there runs and that this machine can reach it`;
}

/** Whether the adoption flag applies to this environment (the variable names environments, comma-separated). */
export function adoptionRequested(environment: string, flag: boolean, variable: string | undefined): boolean {
  if (flag) return true;
  return (variable ?? '').split(',').map((s) => s.trim()).includes(environment);
}

/**
 * Containers the reaper never counts or removes although they carry the environment's label:
 * the maintenance page of `stackyard maintenance on` (lib/ops/maintenance.ts), which must carry
 * the label for the proxy to route to it and must survive a deploy.
 */
export function keptByReaper(labels: Readonly<Record<string, string>>): boolean {
  return Object.hasOwn(labels, 'stackyard.maintenance');
}
