/**
 * Which environments a pull request may have planned with the read-only plan identity. The plan
 * job runs trusted code (the default branch's) on the pull request's environment files as data;
 * still, a file that changes where the plan identity's credentials go (hosts and their ssh
 * options, the state backend, registries, the GitHub target, the platform) could send them
 * somewhere else. Such an environment gets only the structural diff, and a note that a
 * maintainer must plan it.
 */
import type { EnvironmentConfig } from '../config/schema';

/** Top-level settings that decide what the plan identity's credentials reach. */
export const SECURITY_FIELDS = ['hosts', 'state', 'registries', 'github', 'platform', 'kubernetes'] as const;

export interface PlanDecision {
  readonly name: string;
  readonly plan: boolean;
  /** Why not, as a sentence. */
  readonly reason?: string;
}

/** Dotted paths under `value` where `a` and `b` differ (sorted, first `max`). */
export function changedPaths(a: unknown, b: unknown, at = '', max = 8): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, p: string) => {
    if (out.length >= max) return;
    const isObj = (v: unknown) => v !== null && typeof v === 'object';
    if (isObj(x) && isObj(y) && Array.isArray(x) === Array.isArray(y)) {
      const keys = [...new Set([...Object.keys(x as object), ...Object.keys(y as object)])].sort();
      for (const k of keys) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], p ? `${p}.${k}` : k);
      return;
    }
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(p || '(all)');
  };
  walk(a, b, at);
  return out;
}

export function decide(name: string, base: EnvironmentConfig | undefined, pr: EnvironmentConfig | undefined, prProblem?: string): PlanDecision {
  const no = (reason: string): PlanDecision => ({ name, plan: false, reason });
  if (!base) return no('is not an environment of the default branch; a maintainer must plan it');
  if (!base.github?.planEnvironment) return no('has no `github.planEnvironment`, so no plan identity');
  if (base.state.backend === 'local') return no('keeps its state on the machine that deploys it; a runner has no state to plan against');
  if (!pr) return no(prProblem ? `does not load from the pull request's files (${prProblem})` : 'is removed or renamed by the pull request');
  const changed = SECURITY_FIELDS.flatMap((f) => changedPaths(base[f], pr[f], f));
  if (changed.length) return no(`changes ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', ...' : ''}: settings that decide where the plan identity's credentials go; a maintainer must plan it`);
  return { name, plan: true };
}
