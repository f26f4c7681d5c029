import type { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { defineKind, single, withDefaults } from '../lib/kind';
import { Workload, workloadProps, type WorkloadProps } from '../lib/workload';

export const WebSchema = z.strictObject({
  kind: f.kind('web', 'A replicated HTTP service behind the proxy: load-balanced by Traefik labels, health-checked.'),
  ...f.common,
  ...f.image,
  ...f.routed,
  replicas: f.replicas.default(2).describe('Replicas behind the proxy (at most 100).'),
});

export type WebServiceProps = WorkloadProps<typeof WebSchema>;

/** A replicated HTTP service behind the proxy: load-balanced by labels, health-checked. */
export class WebService extends Workload {
  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id, 'web', withDefaults(WebSchema, props));
  }
}

export const webKind = defineKind({
  kind: 'web',
  schema: WebSchema,
  check(svc, ctx) {
    if (svc.port === undefined) ctx.report([], 'is required to have `port:` (kind: web serves HTTP behind the proxy)');
  },
  build: (svc, ctx) => single(new WebService(ctx.environment, ctx.name, workloadProps(svc, ctx))),
});
