import { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { defineKind, entryProps, plain, withDefaults, type ConstructProps } from '../lib/kind';
import { Service } from '../lib/service';
import { limits } from '../lib/values';
import { endpoint, healthcheck } from '../lib/workload';

export const JaegerSchema = z.strictObject({
  kind: f.kind('jaeger', 'Jaeger all-in-one: OTLP 4317/4318 in, UI on 16686; services with `tracing: true` send to it.'),
  host: f.host,
  version: f.version('1.76.0'),
  image: f.imageOverride('jaegertracing/all-in-one'),
  uiPort: f.port.default(16686).describe('Publish the UI (16686) on this host port.'),
  otlpPort: f.port.optional().describe('Publish OTLP gRPC (4317) on this host port, for services on other hosts. Default: not published.'),
  bind: f.publishBind,
  resources: f.resources,
});

export type JaegerProps = ConstructProps<typeof JaegerSchema>;

/** Jaeger all-in-one: OTLP gRPC 4317 and HTTP 4318 in, UI on 16686. */
export class Jaeger extends Construct {
  readonly service: Service;

  constructor(scope: Construct, id: string, props: JaegerProps) {
    super(scope, id);
    const p = withDefaults(JaegerSchema, props);
    this.service = new Service(this, 'Default', {
      name: id,
      host: p.host,
      kind: 'jaeger',
      image: { repository: p.image ?? 'jaegertracing/all-in-one', tag: p.version },
      healthcheck: healthcheck({ test: ['CMD', 'wget', '-qO-', 'http://localhost:14269/'], interval: '10s', timeout: '5s', retries: 5, startPeriod: '5s' }),
      secretsOwner: { uid: 10001, gid: 10001 }, // the official image's USER
      ...limits(p.resources),
      origin: p.origin,
    });
    this.service
      .addEnv('COLLECTOR_OTLP_ENABLED', 'true')
      .addPort('otlp-grpc', 4317, p.otlpPort, p.bind)
      .addPort('otlp-http', 4318)
      .addPort('ui', 16686, p.uiPort, p.bind);
  }

  /** Points a service's OpenTelemetry exporter here (OTEL_EXPORTER_OTLP_ENDPOINT and OTLP_ENDPOINT). */
  trace(consumer: Service): void {
    const ep = endpoint(this.service, 'otlp-grpc', consumer);
    if (!ep) return;
    consumer.addEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `http://${ep.host}:${ep.port}`).addEnv('OTLP_ENDPOINT', `http://${ep.host}:${ep.port}`);
    consumer.addEnv('OTEL_SERVICE_NAME', consumer.serviceName);
  }
}

export const jaegerKind = defineKind({
  kind: 'jaeger',
  schema: JaegerSchema,
  provides: ['tracing'],
  build: (svc, ctx) => {
    const j = new Jaeger(ctx.environment, ctx.name, entryProps(svc, ctx));
    return { ...plain(j), trace: (consumer) => j.trace(consumer) };
  },
});
