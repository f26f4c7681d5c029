import { describe, expect, it } from 'vitest';
import { GenericService } from '../../constructs/generic-service';
import { Prometheus, PROMETHEUS_CONFIG } from '../../constructs/prometheus';
import { dockerStack } from './harness';

describe('Prometheus', () => {
  it('scrapes every metrics port, per replica: container names on its host, address and published port across hosts', () => {
    const { containers, json } = dockerStack((s) => {
      new Prometheus(s, 'metrics', { host: 'main', retention: '30d' });
      new GenericService(s, 'api', { host: 'main', image: 'x/api', tag: '1', replicas: 2, ports: { metrics: 9100 } });
      new GenericService(s, 'far', { host: 'edge', image: 'x/far', tag: '1', ports: { metrics: { container: 9100, publish: 9101, bind: '0.0.0.0' } } });
      new GenericService(s, 'quiet', { host: 'main', image: 'x/q', tag: '1' });
    }, { hosts: ['main', 'edge'] });
    const c = containers.svc_metrics_1;
    expect(c.command).toContain('--storage.tsdb.retention.time=30d');
    const conf = c.upload.find((u: any) => u.file === PROMETHEUS_CONFIG).content;
    expect(conf).toContain('job_name: "api"');
    expect(conf).toContain('targets: ["unit-api-1:9100", "unit-api-2:9100"]');
    expect(conf).toContain('targets: ["10.0.0.2:9101"]');
    expect(conf).not.toContain('quiet');
    expect(json.resource.docker_volume.volume_metrics_data.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('a target on another host that listens on 127.0.0.1 only is reported', () => {
    const { problems } = dockerStack((s) => {
      new Prometheus(s, 'metrics', { host: 'main' });
      new GenericService(s, 'far', { host: 'edge', image: 'x/far', tag: '1', ports: { metrics: { container: 9100, publish: 9101 } } });
    }, { hosts: ['main', 'edge'] });
    expect(problems).toEqual([expect.stringMatching(/^metrics on host main reaches far at 10\.0\.0\.2:9101, but it listens on 127\.0\.0\.1 only/)]);
  });
});
