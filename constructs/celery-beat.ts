import type { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { defineKind, withDefaults } from '../lib/kind';
import { Workload, workloadProps, type Connectable, type WorkloadProps } from '../lib/workload';
import { celeryBuilt, checkBroker, useAsBroker } from './celery-worker';
import { Redis } from './redis';

export const CeleryBeatSchema = z.strictObject({
  kind: f.kind('celery-beat', 'The Celery beat scheduler: a singleton, enforced; broker from the Redis in `uses:`.'),
  ...f.common,
  // the command is built from app: a `command:` is refused, not ignored
  ...f.without(f.image, 'command'),
  app: z.string().min(1).describe('The Celery application (-A).'),
  replicas: z.number().int().max(f.MAX_REPLICAS).default(1).describe('A scheduler runs once (two send every task twice); the key exists so a wrong value is reported.'),
});

export type CeleryBeatProps = WorkloadProps<typeof CeleryBeatSchema>;

/** The Celery beat scheduler: a singleton, enforced like SingletonService. */
export class CeleryBeat extends Workload {
  constructor(scope: Construct, id: string, props: CeleryBeatProps) {
    const p = withDefaults(CeleryBeatSchema, props);
    super(scope, id, 'celery-beat', { ...p, command: ['celery', '-A', p.app, 'beat', '--loglevel=INFO'] }, { singleton: true });
  }

  uses(target: Connectable): this {
    super.uses(target);
    if (target instanceof Redis) useAsBroker(this.service);
    return this;
  }
}

export const celeryBeatKind = defineKind({
  kind: 'celery-beat',
  schema: CeleryBeatSchema,
  check: checkBroker,
  build: (svc, ctx) => celeryBuilt(new CeleryBeat(ctx.environment, ctx.name, workloadProps(svc, ctx))),
});
