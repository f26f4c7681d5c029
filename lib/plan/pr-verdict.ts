/**
 * What the `stackyard/data-loss` status and the plan label of a pull request rest on: the plans
 * that the default branch's code computed with the plan identity, and nothing else. The pull
 * request's own synth diff is shown in the comment but may lie, so it never decides data loss,
 * destruction or "no changes". An environment that should have been planned (every decision of
 * `decide`) but was not, or whose trusted plan failed, leaves the pull request unverified: a
 * maintainer must plan it.
 */
import type { PlanDecision } from '../github/pr-plan';
import type { StackPlan } from './summary';

export interface PrVerdict {
  /** A trusted plan replaces or destroys stateful data. */
  readonly dataLoss: boolean;
  /** A trusted plan replaces or deletes a resource. */
  readonly destroy: boolean;
  /** A trusted plan changes anything. */
  readonly changes: boolean;
  /** An environment that should be planned was not planned by trusted code, or its plan failed. */
  readonly unverified: boolean;
}

/**
 * decisions: which environments the plan identity was to plan; trusted: the plans their jobs
 * produced, by environment (undefined: the plan failed or its artifact is missing or malformed).
 */
export function prVerdict(decisions: readonly PlanDecision[], trusted: ReadonlyMap<string, readonly StackPlan[] | undefined>): PrVerdict {
  const unverified = decisions.some((d) => !d.plan || trusted.get(d.name) === undefined);
  const changes = decisions.flatMap((d) => (d.plan ? trusted.get(d.name) ?? [] : [])).flatMap((p) => p.changes);
  return {
    dataLoss: changes.some((c) => c.dataLoss),
    destroy: changes.some((c) => c.action === 'delete' || c.action === 'replace'),
    changes: changes.length > 0,
    unverified,
  };
}
