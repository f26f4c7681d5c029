import type { Construct } from 'constructs';
import { Workload, type WorkloadProps } from '../lib/workload';

export type GenericServiceProps = WorkloadProps;

/** Anything else a stack runs (a watcher, Airflow, an nginx frontend): the plain service model. */
export class GenericService extends Workload {
  constructor(scope: Construct, id: string, props: GenericServiceProps) {
    super(scope, id, 'service', props);
  }
}
