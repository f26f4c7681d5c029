/**
 * The `update:` setting of a service (lib/update-policy.ts resolves and checks it): here apart,
 * as the schema (lib/config/fields.ts) and the model (lib/service.ts) read it and
 * update-policy.ts reads the model.
 */
import { z } from 'zod';

export const UPDATE_ORDERS = ['start-first', 'stop-first'] as const;
export type UpdateOrder = (typeof UPDATE_ORDERS)[number];

/** Defaults that do not depend on the service. */
export const UPDATE_DEFAULTS = {
  /** New replicas started at once in a start-first update. */
  parallelism: 1,
  /**
   * Seconds old replicas keep serving after every new one is healthy, before their stop signal:
   * the proxy takes the new ones into rotation meanwhile (Traefik applies a Docker event after
   * its 2 s throttle).
   */
  drainSeconds: 5,
} as const;

/** Upper bounds, so a typo (600000) is an error rather than a deploy that hangs for a week. */
const MAX_DRAIN_SECONDS = 3600;
const MAX_GRACE_SECONDS = 86400;
/** The most replicas a service has (MAX_REPLICAS of lib/config/fields.ts, which imports this file). */
const MAX_PARALLELISM = 100;

export const UpdatePolicySchema = z.strictObject({
  /**
   * start-first: the new replica is healthy and routed before the old one stops. stop-first: the
   * old one stops before the new one starts. @default - start-first for routed services; stop-first
   * for singletons, stateful kinds, services publishing a host port and everything not routed
   */
  order: z.enum(UPDATE_ORDERS).optional().describe('start-first: the new replica is healthy and routed before the old one stops; stop-first: the old one stops first. Default: start-first for routed services, else stop-first.'),
  /** Replicas started at once in a start-first update. @default 1 */
  parallelism: z.number().int().min(1).max(MAX_PARALLELISM).optional().describe('New replicas started at once in a start-first update. Default: 1.'),
  /** Seconds old replicas keep serving after the new ones are healthy, before their stop signal (start-first). @default 5 */
  drainSeconds: z.number().int().min(0).max(MAX_DRAIN_SECONDS).optional().describe('Seconds the old replicas keep serving after the new ones are healthy, before their stop signal (start-first). Default: 5.'),
  /**
   * Seconds between the stop signal (SIGTERM unless the image sets another) and SIGKILL, to finish
   * requests or the task in hand. @default 10 (stateful kinds 60, workers 120)
   */
  stopGraceSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional().describe('Seconds between the stop signal and SIGKILL. Default: 10 (stateful kinds 60, workers 120).'),
}).describe('How the service is replaced when it changes (Docker hosts)');

export type UpdatePolicyRequest = z.output<typeof UpdatePolicySchema>;

