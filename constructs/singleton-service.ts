import type { Construct } from 'constructs';
import { Workload, type WorkloadProps } from '../lib/workload';

export interface SingletonServiceProps extends Omit<WorkloadProps, 'replicas'> {
  /**
   * Only ever 1. Present so a configuration asking for more is reported rather than ignored.
   * @default 1
   */
  readonly replicas?: number;
}

/**
 * A service that must never run twice (seed 000's orchestrator: two copies duplicate every
 * collection job). A replica count other than 1 fails validation at synth.
 */
export class SingletonService extends Workload {
  constructor(scope: Construct, id: string, props: SingletonServiceProps) {
    super(scope, id, 'singleton', { ...props, replicas: props.replicas ?? 1 }, { singleton: true });
  }
}
