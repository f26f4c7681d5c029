/**
 * What a deploy applies first. Phase 1 (`tofu apply -target=...`) holds the one-shot jobs and
 * everything that does not run after one (databases, caches, the proxy...); the full apply then
 * does the rest. A failing job so fails the deploy before anything that runs after it is
 * replaced, as compose's service_completed_successfully does.
 *
 * A job that failed in an earlier deploy stays in the state with its non-zero exit code, and its
 * `exit_code == 0` postcondition is evaluated on every later plan, even a no-op one: no deploy
 * could pass until someone ran `-replace` by hand. Such jobs are replaced in phase 1.
 *
 * Start-first containers (create_before_destroy, lib/update-policy.ts) stay out of phase 1, and
 * so does whatever depends on one. Terraform turns create_before_destroy on for everything such
 * a container depends on when both are in one graph: a database or cache with its fixed name
 * would then be created next to the running one and fail (the name is taken), so stop-first
 * containers that a start-first one uses are replaced in phase 1, where no start-first
 * container is in the graph, even when the stack has no job.
 */
import { stackContainers, stateContainers, type StackJson, type StateJson } from './stack-json';

const PREFIX = 'docker_container.';

/**
 * A one-shot job's container: the Docker target runs a one-shot Service attached, to completion
 * and never again on its own (lib/docker/render.ts), whatever its kind is called.
 */
export function isJob(stack: StackJson, key: string): boolean {
  const c = stackContainers(stack)[key];
  return c?.attach === true && c.must_run === false;
}

/** Container keys (logical ids) of a stack that are one-shot jobs, sorted. */
export function jobKeys(stack: StackJson): string[] {
  return Object.keys(stackContainers(stack)).filter((k) => isJob(stack, k)).sort();
}

export function startsFirst(stack: StackJson, key: string): boolean {
  return stackContainers(stack)[key]?.lifecycle?.create_before_destroy === true;
}

/**
 * Container keys to apply first: the jobs and every container that does not (transitively) wait
 * for one, leaving out start-first containers and their dependents; [] when there is no job and
 * no stop-first container that a start-first one depends on.
 */
export function phaseOneKeys(stack: StackJson): string[] {
  const c = stackContainers(stack);
  const deps = (k: string) => (c[k]?.depends_on ?? []).map((d) => d.replace(/^docker_container\./, '')).filter((d) => Object.prototype.hasOwnProperty.call(c, d));
  /** Whether `k` transitively depends on a container for which `hit` holds. */
  const reaches = (hit: (k: string) => boolean) => {
    const memo = new Map<string, boolean>();
    const visiting = new Set<string>();
    const walk = (k: string): boolean => {
      const known = memo.get(k);
      if (known !== undefined) return known;
      if (visiting.has(k)) return false; // a cycle is the engine's to report
      visiting.add(k);
      const v = deps(k).some((d) => hit(d) || walk(d));
      visiting.delete(k);
      memo.set(k, v);
      return v;
    };
    return walk;
  };
  const afterJob = reaches((k) => isJob(stack, k));
  const afterStartFirst = reaches((k) => startsFirst(stack, k));
  const keys = Object.keys(c);
  // a stop-first long-running container that some start-first one depends on
  const forced = keys.some((k) => !startsFirst(stack, k) && !isJob(stack, k) && keys.some((f) => startsFirst(stack, f) && reaches((d) => d === k)(f)));
  if (!jobKeys(stack).length && !forced) return [];
  return keys.filter((k) => !startsFirst(stack, k) && !afterStartFirst(k) && (isJob(stack, k) || !afterJob(k))).sort();
}

export interface FailedJob {
  readonly address: string;
  readonly container: string;
  readonly exitCode: number;
}

/** Jobs of the stack whose container in the state exited non-zero (from a failed earlier deploy). */
export function failedJobs(stack: StackJson, state: StateJson): FailedJob[] {
  const jobs = new Set(jobKeys(stack).map((k) => PREFIX + k));
  return stateContainers(state)
    .filter((c) => jobs.has(c.address) && c.status !== 'tainted' && typeof c.exitCode === 'number' && c.exitCode !== 0)
    .map((c) => ({ address: c.address, container: c.name ?? c.address, exitCode: c.exitCode as number }));
}

export interface DeployPlan {
  /** Arguments of the phase-1 `tofu apply` (targets and replacements); empty: no phase 1. */
  readonly phaseOneArgs: readonly string[];
  /** What the deploy tells the user it decided, in order. */
  readonly notes: readonly string[];
}

export function deployPlan(stack: StackJson, state: StateJson): DeployPlan {
  const first = phaseOneKeys(stack);
  const notes: string[] = [];
  if (!first.length) return { phaseOneArgs: [], notes };
  if (stateContainers(state).length === 0) {
    notes.push('nothing deployed yet; jobs run in the single apply (dependents still wait for them)');
    return { phaseOneArgs: [], notes };
  }
  const failed = failedJobs(stack, state);
  for (const f of failed) {
    notes.push(`one-shot job container ${f.container} exited ${f.exitCode} in an earlier deploy; replacing it (-replace=${f.address})`);
  }
  notes.push(`phase 1, one-shot jobs and what does not wait for them: ${first.join(' ')}`);
  return {
    phaseOneArgs: [...first.map((k) => `-target=${PREFIX}${k}`), ...failed.map((f) => `-replace=${f.address}`)],
    notes,
  };
}
