import { describe, expect, it } from 'vitest';
import { GenericService } from '../../constructs/generic-service';
import { Jaeger } from '../../constructs/jaeger';
import { dockerStack } from './harness';

describe('Jaeger', () => {
  it('takes OTLP on 4317/4318 and shows its UI on the published port; a traced service gets the endpoint and its name', () => {
    const { containers } = dockerStack((s) => {
      const j = new Jaeger(s, 'tracing', { host: 'main', uiPort: 16000 });
      const api = new GenericService(s, 'api', { host: 'main', image: 'x/api', tag: '1' });
      j.trace(api.service);
    });
    const c = containers.svc_tracing_1;
    expect(c.env).toContain('COLLECTOR_OTLP_ENABLED=true');
    expect(c.ports).toEqual([{ internal: 16686, external: 16000, ip: '127.0.0.1', protocol: 'tcp' }]);
    expect(containers.svc_api_1.env).toEqual(expect.arrayContaining(['OTEL_EXPORTER_OTLP_ENDPOINT=http://tracing:4317', 'OTEL_SERVICE_NAME=api']));
  });
});
