import type { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { defineKind, withDefaults, type Built, type CheckContext } from '../lib/kind';
import { secretPath, STOP_GRACE_SECONDS, type Service } from '../lib/service';
import { Workload, workloadProps, type Connectable, type WorkloadProps } from '../lib/workload';
import { Redis } from './redis';

export const CeleryWorkerSchema = z.strictObject({
  kind: f.kind('celery-worker', 'A Celery worker (-A app, queues, concurrency); broker and result backend from the Redis in `uses:`.'),
  ...f.common,
  // the command is built from app, queues and concurrency: a `command:` is refused, not ignored
  ...f.without(f.image, 'command'),
  app: z.string().min(1).describe('The Celery application (-A), e.g. app.worker.'),
  queues: z.array(z.string().min(1)).min(1).default(['celery']).describe('Queues to consume (-Q).'),
  concurrency: z.number().int().min(1).max(256).default(2).describe('Worker processes (--concurrency).'),
  replicas: f.replicas.default(1).describe('Replicas (at most 100).'),
});

export type CeleryWorkerProps = WorkloadProps<typeof CeleryWorkerSchema>;

/**
 * A Celery worker; `uses(redis)` makes that Redis its broker and result backend. On replace or
 * destroy it gets SIGTERM (Celery's warm shutdown) and STOP_GRACE_SECONDS.worker to finish its tasks.
 */
export class CeleryWorker extends Workload {
  constructor(scope: Construct, id: string, props: CeleryWorkerProps) {
    const p = withDefaults(CeleryWorkerSchema, props);
    super(scope, id, 'celery-worker', {
      ...p,
      command: ['celery', '-A', p.app, 'worker', '--loglevel=INFO', '-Q', p.queues.join(','), '--concurrency', String(p.concurrency)],
    }, { stopGraceSeconds: STOP_GRACE_SECONDS.worker });
  }

  uses(target: Connectable): this {
    super.uses(target);
    if (target instanceof Redis) useAsBroker(this.service);
    return this;
  }
}

/** Celery reads its broker from these (the URL holds the password, so it is a file). */
export function useAsBroker(s: Service): void {
  s.addEnv('CELERY_BROKER_URL_FILE', secretPath('REDIS_URL')).addEnv('CELERY_RESULT_BACKEND_FILE', secretPath('REDIS_URL'));
}

/** A Celery service needs a broker among what it uses. */
export function checkBroker(svc: { readonly uses: readonly string[] }, ctx: CheckContext): void {
  if (!svc.uses.some((u) => ctx.provides(u, 'celery-broker'))) ctx.report(['uses'], 'a Celery service needs a Redis in `uses:` as its broker and result backend');
}

/** Built for a Celery construct: `uses:` goes through its uses(), which also hooks the broker. */
export function celeryBuilt(c: Workload): Built {
  return { construct: c, connectable: c, consumers: [c.service], use: (target) => c.uses(target) };
}

export const celeryWorkerKind = defineKind({
  kind: 'celery-worker',
  schema: CeleryWorkerSchema,
  check: checkBroker,
  build: (svc, ctx) => celeryBuilt(new CeleryWorker(ctx.environment, ctx.name, workloadProps(svc, ctx))),
});
