import type { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { defineKind, single, withDefaults } from '../lib/kind';
import type { Service } from '../lib/service';
import { Workload, workloadProps, type WorkloadProps } from '../lib/workload';

export const JobSchema = z.strictObject({
  kind: f.kind('job', 'Runs to completion before its dependents (migrations, seed data); a failure fails the deploy with its name.'),
  ...f.common,
  ...f.image,
  command: z.array(z.string()).min(1).describe('The job\'s command, e.g. [bash, scripts/prestart.sh].'),
  timeout: z.number().int().min(1).max(86400).default(600).describe('Seconds the deploy waits for the job to finish.'),
});

export type OneShotJobProps = WorkloadProps<typeof JobSchema>;

/**
 * A job that runs to completion before its dependents start (migrations, seed data).
 * A non-zero exit fails the deploy with the job's name and leaves dependents untouched;
 * a change of image, command or settings runs it again.
 */
export class OneShotJob extends Workload {
  constructor(scope: Construct, id: string, props: OneShotJobProps) {
    const p = withDefaults(JobSchema, props);
    super(scope, id, 'job', { ...p, replicas: 1 }, { oneShot: { timeoutSeconds: p.timeout } });
  }

  /** A job is used by running after it, not by connecting to it. */
  connect(consumer: Service): void {
    consumer.dependOn(this.service, 'completed');
  }
}

export const jobKind = defineKind({
  kind: 'job',
  schema: JobSchema,
  build: (svc, ctx) => single(new OneShotJob(ctx.environment, ctx.name, workloadProps(svc, ctx))),
});
