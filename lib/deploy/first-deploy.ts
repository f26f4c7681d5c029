/**
 * A start-first service with no container in the state has nothing to replace: its replicas need
 * not come up one at a time (replica n waits for replica n - parallelism to be healthy), and its
 * drain gate (`terraform_data.drain_<service>`, a `sleep drainSeconds` after the last new replica)
 * holds back no old container. Both are there for updates (lib/docker/render.ts) and cost a
 * healthcheck interval per replica plus the drain on a first deploy.
 *
 * `stackyard deploy` applies, for such services only, a copy of the stack without the chain
 * between the service's own replicas and without the drain gate's sleep; the gate itself is still
 * created (the same state as with the stack as synthesized, so the next plan is the same).
 * Dependencies on other services (a database, a job) stay. Plain `tofu apply` of the synthesized
 * stack keeps the chain and the sleep: a slower first deploy, the same result. A service with
 * anything in the state, a tainted or deposed replica included, keeps both.
 */
import type { HostListing } from './orphans';
import { stackContainers, type StackJson, type StateJson } from './stack-json';

const SERVICE_LABEL = 'stackyard.service';
const CONTAINER = 'docker_container.';

interface Label { readonly label?: string; readonly value?: string }

const serviceOf = (labels: unknown): string | undefined =>
  Array.isArray(labels) ? (labels as Label[]).find((l) => l?.label === SERVICE_LABEL)?.value : undefined;

/** Services with at least one container in the state (by its service label, or by the stack's key for it). */
function servicesInState(stack: StackJson, state: StateJson): Set<string> {
  const containers = stackContainers(stack);
  const out = new Set<string>();
  for (const r of state.resources ?? []) {
    if (r.type !== 'docker_container' || (r.mode && r.mode !== 'managed') || !(r.instances ?? []).length) continue;
    const byKey = serviceOf(containers[r.name]?.labels);
    if (byKey) out.add(byKey);
    for (const i of r.instances ?? []) {
      const byLabel = serviceOf(i.attributes?.labels);
      if (byLabel) out.add(byLabel);
    }
  }
  return out;
}

/** Start-first services of the stack (create_before_destroy containers) that have no container in the state, sorted. */
export function servicesNew(stack: StackJson, state: StateJson): string[] {
  const there = servicesInState(stack, state);
  const out = new Set<string>();
  for (const c of Object.values(stackContainers(stack))) {
    const s = serviceOf(c.labels);
    if (s && c.lifecycle?.create_before_destroy === true && !there.has(s)) out.add(s);
  }
  return [...out].sort();
}

/** `${docker_container.<key>.id}` → key */
const containerRef = (s: unknown) => (typeof s === 'string' ? /^\$\{docker_container\.([A-Za-z0-9_-]+)\.id\}$/.exec(s)?.[1] : undefined);

/**
 * The stack to apply when some start-first services have nothing deployed yet: the same, minus
 * the depends_on between replicas of each such service and the drain gates' provisioners that
 * wait on only such replicas. `undefined` when no service qualifies (apply the stack as it is).
 */
export function firstDeployStack(stack: StackJson, state: StateJson): { stack: StackJson; services: string[] } | undefined {
  const services = servicesNew(stack, state);
  if (!services.length) return undefined;
  const fresh = new Set(services);
  const containers = stackContainers(stack);
  const serviceOfKey = (k: string) => serviceOf(containers[k]?.labels);
  const copy = JSON.parse(JSON.stringify(stack)) as { resource: Record<string, Record<string, Record<string, unknown>>> };
  for (const [key, c] of Object.entries(copy.resource.docker_container ?? {})) {
    const s = serviceOfKey(key);
    const deps = c.depends_on as string[] | undefined;
    if (!s || !fresh.has(s) || !deps) continue;
    const kept = deps.filter((d) => !(d.startsWith(CONTAINER) && serviceOfKey(d.slice(CONTAINER.length)) === s));
    if (kept.length) c.depends_on = kept;
    else delete c.depends_on;
  }
  for (const gate of Object.values(copy.resource.terraform_data ?? {})) {
    if (!gate.provisioner) continue;
    const watched = ((gate.triggers_replace as { containers?: unknown[] } | undefined)?.containers ?? []).map(containerRef);
    if (watched.length && watched.every((k) => k !== undefined && fresh.has(serviceOfKey(k) ?? ''))) delete gate.provisioner;
  }
  return { stack: copy as StackJson, services };
}

/**
 * Whether any host has a container or network of the environment. When none has, a deploy has
 * nothing to reap, replace or put in phase 1 whatever the state says (an entry whose container is
 * gone is refreshed away by the apply), so it need not read the state first.
 */
export function onHosts(hosts: readonly HostListing[]): boolean {
  return hosts.some((h) => h.containers.length > 0 || (h.networks ?? []).length > 0);
}
