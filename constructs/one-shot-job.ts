import type { Construct } from 'constructs';
import { Workload, type WorkloadProps } from '../lib/workload';

export interface OneShotJobProps extends Omit<WorkloadProps, 'replicas' | 'route' | 'port' | 'health' | 'healthcheck'> {
  /** The job's command, e.g. ["bash", "scripts/prestart.sh"]. */
  readonly command: readonly string[];
  /** Seconds the deploy waits for the job. @default 600 */
  readonly timeoutSeconds?: number;
}

/**
 * A job that runs to completion before its dependents start (migrations, seed data).
 * A non-zero exit fails the deploy with the job's name and leaves dependents untouched;
 * a change of image, command or settings runs it again.
 */
export class OneShotJob extends Workload {
  constructor(scope: Construct, id: string, props: OneShotJobProps) {
    super(scope, id, 'job', { ...props, replicas: 1 }, { oneShot: { timeoutSeconds: props.timeoutSeconds ?? 600 } });
  }

  /** A job is used by running after it, not by connecting to it. */
  connect(consumer: import('../lib/service').Service): void {
    consumer.dependOn(this.service, 'completed');
  }
}
