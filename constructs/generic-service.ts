import type { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { defineKind, single, withDefaults } from '../lib/kind';
import { Workload, workloadProps, type WorkloadProps } from '../lib/workload';

export const GenericSchema = z.strictObject({
  kind: f.kind('service', 'Anything else a stack runs (a watcher, workers, an nginx frontend): the plain service model.'),
  ...f.common,
  ...f.image,
  ...f.routed,
  replicas: f.replicas.default(1).describe('Replicas (at most 100).'),
});

export type GenericServiceProps = WorkloadProps<typeof GenericSchema>;

/** Anything else a stack runs (a watcher, Airflow, an nginx frontend): the plain service model. */
export class GenericService extends Workload {
  constructor(scope: Construct, id: string, props: GenericServiceProps) {
    super(scope, id, 'service', withDefaults(GenericSchema, props));
  }
}

export const genericKind = defineKind({
  kind: 'service',
  schema: GenericSchema,
  build: (svc, ctx) => single(new GenericService(ctx.environment, ctx.name, workloadProps(svc, ctx))),
});
