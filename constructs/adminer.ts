import { Construct } from 'constructs';
import { Service } from '../lib/service';
import { healthcheck } from '../lib/workload';
import { limits, type Origin } from '../lib/values';

export interface AdminerProps {
  readonly host: string;
  /** Proxy rule, e.g. Host(`adminer.example.com`). */
  readonly route: string;
  /** @default "5" */
  readonly version?: string;
  /** @default - all proxy entrypoints */
  readonly entrypoints?: readonly string[];
  /** @default - unlimited */
  readonly cpus?: number;
  /** @default - unlimited */
  readonly memory?: string;
  /** @default - construct path */
  readonly origin?: Origin;
}

/** The Adminer database UI behind the proxy, for non-production environments only. */
export class Adminer extends Construct {
  readonly service: Service;

  constructor(scope: Construct, id: string, props: AdminerProps) {
    super(scope, id);
    this.service = new Service(this, 'Default', {
      name: id,
      host: props.host,
      kind: 'adminer',
      image: { repository: 'adminer', tag: props.version ?? '5' },
      healthcheck: healthcheck({ test: 'php -r "exit(@file_get_contents(\'http://localhost:8080/\') === false ? 1 : 0);"' }),
      ...limits(props),
      origin: props.origin,
    });
    this.service.addPort('http', 8080).addRoute({ rule: props.route, port: 8080, entrypoints: props.entrypoints });
  }
}
