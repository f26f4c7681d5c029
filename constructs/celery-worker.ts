import type { Construct } from 'constructs';
import { STOP_GRACE_SECONDS, type Service } from '../lib/service';
import { Workload, type WorkloadProps } from '../lib/workload';
import { Redis } from './redis';

export interface CeleryWorkerProps extends Omit<WorkloadProps, 'command' | 'port' | 'route' | 'health'> {
  /** The Celery application (-A), e.g. app.worker. */
  readonly app: string;
  /** Queues to consume. @default ["celery"] */
  readonly queues?: readonly string[];
  /** Worker processes. @default 2 */
  readonly concurrency?: number;
}

/**
 * A Celery worker; `uses(redis)` makes that Redis its broker and result backend. On replace or
 * destroy it gets SIGTERM (Celery's warm shutdown) and STOP_GRACE_SECONDS.worker to finish its tasks.
 */
export class CeleryWorker extends Workload {
  constructor(scope: Construct, id: string, props: CeleryWorkerProps) {
    super(scope, id, 'celery-worker', {
      ...props,
      command: ['celery', '-A', props.app, 'worker', '--loglevel=INFO', '-Q', (props.queues ?? ['celery']).join(','), '--concurrency', String(props.concurrency ?? 2)],
    }, { stopGraceSeconds: STOP_GRACE_SECONDS.worker });
  }

  uses(target: import('../lib/workload').Connectable): this {
    super.uses(target);
    if (target instanceof Redis) useAsBroker(this.service);
    return this;
  }
}

/** Celery reads its broker from these (the URL holds the password, so it is a file). */
export function useAsBroker(s: Service): void {
  s.addEnv('CELERY_BROKER_URL_FILE', '/run/secrets/REDIS_URL').addEnv('CELERY_RESULT_BACKEND_FILE', '/run/secrets/REDIS_URL');
}
