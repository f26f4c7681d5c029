/**
 * How a long-running service is replaced when its container changes (image, command, settings,
 * secrets, resources): the per-service `update:` policy of the environment file, its defaults,
 * and the checks on it. The Docker target renders the resolved policy (lib/docker/render.ts).
 *
 *   start-first  the new replica starts, passes its healthcheck and enters the proxy's rotation
 *                before the old one gets its stop signal (Terraform create_before_destroy with
 *                revisioned container names); the old ones go `drainSeconds` after the last new
 *                one is healthy, each with `stopGraceSeconds` to finish what it is doing.
 *   stop-first   the old container stops (stop signal, then `stopGraceSeconds`) before the new
 *                one starts: never two at once.
 */
import type { Problem } from './config/errors';
import type { Service } from './service';
import { UPDATE_DEFAULTS, type UpdateOrder } from './update-schema';

export { UPDATE_DEFAULTS, UPDATE_ORDERS, UpdatePolicySchema, type UpdateOrder, type UpdatePolicyRequest } from './update-schema';

export interface UpdatePolicy {
  readonly order: UpdateOrder;
  readonly parallelism: number;
  readonly drainSeconds: number;
  readonly stopGraceSeconds: number;
  /** Why the order is what it is, for messages and docs. */
  readonly reason: string;
}

/** Why a service must stop before its replacement starts, or undefined when start-first is safe. */
export function stopFirstReason(s: Service): string | undefined {
  if (s.singleton) return `${s.serviceName} is a singleton: two copies must never run, not even during an update`;
  if (s.stateful) return `${s.serviceName} keeps data (${s.kind}): two containers must never write the same volume`;
  const fixed = s.publishedPorts()[0];
  if (fixed) return `${s.serviceName} publishes host port ${fixed.port.publish}: the new container cannot bind it while the old one holds it`;
  return undefined;
}

function defaultOrder(s: Service): { order: UpdateOrder; reason: string } {
  const must = stopFirstReason(s);
  if (must) return { order: 'stop-first', reason: must };
  if (s.routes.length > 0) return { order: 'start-first', reason: `${s.serviceName} is routed by the proxy: the new replica takes traffic before the old one stops` };
  return { order: 'stop-first', reason: `${s.serviceName} is not routed: it stops gracefully, then its replacement starts` };
}

/** The policy a long-running service is updated with: its `update:` request over the defaults. */
export function resolveUpdatePolicy(s: Service): UpdatePolicy {
  const asked = s.updateRequest ?? {};
  const d = defaultOrder(s);
  const order = asked.order ?? d.order;
  return {
    order,
    parallelism: asked.parallelism ?? UPDATE_DEFAULTS.parallelism,
    drainSeconds: asked.drainSeconds ?? UPDATE_DEFAULTS.drainSeconds,
    stopGraceSeconds: asked.stopGraceSeconds ?? s.stopGraceSeconds,
    reason: asked.order ? `${s.serviceName} asks for ${order}` : d.reason,
  };
}

/** True when the service's containers are replaced create-before-destroy. */
export function startsFirst(s: Service): boolean {
  return !s.oneShot && !s.schedule && resolveUpdatePolicy(s).order === 'start-first';
}

/** Positioned problems of a service's `update:` request. */
export function updatePolicyProblems(s: Service): Problem[] {
  const asked = s.updateRequest;
  if (!asked) return [];
  const problems: Problem[] = [];
  const at = (field: string, message: string) => problems.push({ ...s.origin.locate(`update.${field}`), message });
  if (s.oneShot || s.schedule) {
    const first = Object.keys(asked)[0] ?? '';
    at(first, `${s.serviceName} runs to completion (kind: ${s.kind}); it has no update policy, remove \`update:\``);
    return problems;
  }
  const policy = resolveUpdatePolicy(s);
  if (asked.order === 'start-first') {
    const must = stopFirstReason(s);
    if (must) at('order', `start-first is not possible: ${must}; use order: stop-first`);
  }
  if (policy.order === 'stop-first') {
    if (asked.parallelism !== undefined) at('parallelism', `parallelism applies to start-first updates; ${s.serviceName} is stop-first (${policy.reason}), and its replicas are replaced together`);
    if (asked.drainSeconds !== undefined) at('drainSeconds', `drainSeconds applies to start-first updates; ${s.serviceName} is stop-first (${policy.reason}); stopGraceSeconds is its time to finish`);
  }
  return problems;
}

/** A service entry of the environment file that gives its stop grace period twice (checked at load, where both fields are seen). */
export const DUPLICATE_GRACE = 'the stop grace period is given twice: here and as `stopGracePeriod`; keep one';
export function gracesGivenTwice(entry: object): boolean {
  const e = entry as { stopGracePeriod?: unknown; update?: { stopGraceSeconds?: unknown } };
  return e.stopGracePeriod !== undefined && e.update?.stopGraceSeconds !== undefined;
}
