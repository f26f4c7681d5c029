import type { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { defineKind, single, withDefaults } from '../lib/kind';
import { Workload, workloadProps, type WorkloadProps } from '../lib/workload';

export const SingletonSchema = z.strictObject({
  kind: f.kind('singleton', 'A service that must never run twice: exactly one replica, enforced.'),
  ...f.common,
  ...f.image,
  ...f.routed,
  replicas: z.number().int().max(f.MAX_REPLICAS).default(1).describe('A singleton has exactly one replica; the key exists only so a wrong value is reported.'),
});

export type SingletonServiceProps = WorkloadProps<typeof SingletonSchema>;

/**
 * A service that must never run twice (seed 000's orchestrator: two copies duplicate every
 * collection job). A replica count other than 1 fails validation at synth.
 */
export class SingletonService extends Workload {
  constructor(scope: Construct, id: string, props: SingletonServiceProps) {
    super(scope, id, 'singleton', withDefaults(SingletonSchema, props), { singleton: true });
  }
}

export const singletonKind = defineKind({
  kind: 'singleton',
  schema: SingletonSchema,
  build: (svc, ctx) => single(new SingletonService(ctx.environment, ctx.name, workloadProps(svc, ctx))),
});
