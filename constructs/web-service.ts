import type { Construct } from 'constructs';
import { Workload, type WorkloadProps } from '../lib/workload';

export interface WebServiceProps extends WorkloadProps {
  /** Container port serving HTTP; the proxy balances across replicas on it. */
  readonly port: number;
  /** Replicas behind the proxy. @default 2 */
  readonly replicas?: number;
}

/** A replicated HTTP service behind the proxy: load-balanced by labels, health-checked. */
export class WebService extends Workload {
  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id, 'web', { ...props, replicas: props.replicas ?? 2 });
  }
}
