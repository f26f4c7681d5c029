import { Construct } from 'constructs';
import { Service } from '../lib/service';
import { limits, type Origin } from '../lib/values';
import { endpoint, healthcheck } from '../lib/workload';

export interface JaegerProps {
  readonly host: string;
  /** @default "1.76.0" */
  readonly version?: string;
  /** @default jaegertracing/all-in-one */
  readonly image?: string;
  /** Publish the UI (16686) on this host port. @default 16686 */
  readonly uiPort?: number;
  /** Publish OTLP gRPC (4317) on this host port, for services on other hosts. @default - not published */
  readonly otlpPort?: number;
  /** @default - unlimited */
  readonly cpus?: number;
  /** @default - unlimited */
  readonly memory?: string;
  /** Host address the published port(s) listen on. @default 127.0.0.1 (this host only) */
  readonly bind?: string;
  /** @default - construct path */
  readonly origin?: Origin;
}

/** Jaeger all-in-one: OTLP gRPC 4317 and HTTP 4318 in, UI on 16686. */
export class Jaeger extends Construct {
  readonly service: Service;

  constructor(scope: Construct, id: string, props: JaegerProps) {
    super(scope, id);
    this.service = new Service(this, 'Default', {
      name: id,
      host: props.host,
      kind: 'jaeger',
      image: { repository: props.image ?? 'jaegertracing/all-in-one', tag: props.version ?? '1.76.0' },
      healthcheck: healthcheck({ test: ['CMD', 'wget', '-qO-', 'http://localhost:14269/'], interval: '10s', timeout: '5s', retries: 5, startPeriod: '5s' }),
      secretsOwner: { uid: 10001, gid: 10001 }, // the official image's USER
      ...limits(props),
      origin: props.origin,
    });
    this.service
      .addEnv('COLLECTOR_OTLP_ENABLED', 'true')
      .addPort('otlp-grpc', 4317, props.otlpPort, props.bind)
      .addPort('otlp-http', 4318)
      .addPort('ui', 16686, props.uiPort ?? 16686, props.bind);
  }

  /** Points a service's OpenTelemetry exporter here (OTEL_EXPORTER_OTLP_ENDPOINT and OTLP_ENDPOINT). */
  trace(consumer: Service): void {
    const ep = endpoint(this.service, 'otlp-grpc', consumer);
    if (!ep) return;
    consumer.addEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `http://${ep.host}:${ep.port}`).addEnv('OTLP_ENDPOINT', `http://${ep.host}:${ep.port}`);
    consumer.addEnv('OTEL_SERVICE_NAME', consumer.serviceName);
  }
}
