import type { Construct } from 'constructs';
import { Workload, type Connectable, type WorkloadProps } from '../lib/workload';
import { useAsBroker } from './celery-worker';
import { Redis } from './redis';

export interface CeleryBeatProps extends Omit<WorkloadProps, 'command' | 'port' | 'route' | 'health' | 'replicas'> {
  /** The Celery application (-A). */
  readonly app: string;
  /** Only ever 1: two schedulers send every task twice. Present so a wrong value is reported. @default 1 */
  readonly replicas?: number;
}

/** The Celery beat scheduler: a singleton, enforced like SingletonService. */
export class CeleryBeat extends Workload {
  constructor(scope: Construct, id: string, props: CeleryBeatProps) {
    super(scope, id, 'celery-beat', { ...props, replicas: props.replicas ?? 1, command: ['celery', '-A', props.app, 'beat', '--loglevel=INFO'] }, { singleton: true });
  }

  uses(target: Connectable): this {
    super.uses(target);
    if (target instanceof Redis) useAsBroker(this.service);
    return this;
  }
}
