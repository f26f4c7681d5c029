/** Observability from environment files: Prometheus targets, Grafana datasources, Jaeger, Alertmanager, checked on synthesized JSON. */
import { describe, expect, it } from 'vitest';
import { errors, shared, synth, twoHostEnvironment } from './helpers';

const base = twoHostEnvironment;
const promConfig = (stack: any) => stack.resource.docker_container.svc_prometheus_1.upload.find((u: any) => u.file === '/etc/prometheus/prometheus.yml').content as string;

describe('Prometheus targets follow the model', () => {
  const api = '  api: { kind: service, host: core, image: x/api, tag: "1", replicas: 2, ports: { metrics: 9100 } }\n';
  const remote = '  exporter: { kind: service, host: b, image: x/exp, tag: "1", ports: { metrics: { container: 9100, publish: 19100, bind: 0.0.0.0 } } }\n';
  const prom = '  prometheus: { kind: prometheus, host: core, retention: 90d }\n';

  it('scrapes every replica of every service with a metrics port, across hosts by address', () => {
    const config = promConfig(synth({ 'e.yaml': base(api + remote + prom) }).obs);
    expect(config).toContain('  - job_name: "api"\n    static_configs:\n      - targets: ["obs-api-1:9100", "obs-api-2:9100"]');
    expect(config).toContain('  - job_name: "exporter"\n    static_configs:\n      - targets: ["b.example.com:19100"]');
  });

  it('adds a target when a service with a metrics port is added, and drops it when removed', () => {
    const without = promConfig(synth({ 'e.yaml': base(prom + api) }).obs);
    const withIt = promConfig(synth({ 'e.yaml': base(prom + api + remote) }).obs);
    expect(without).not.toContain('exporter');
    expect(withIt).toContain('job_name: "exporter"');
    expect(promConfig(synth({ 'e.yaml': base(prom) }).obs)).not.toContain('job_name');
  });

  it('asks a bind: of the metrics ports it scrapes on other hosts, and only of those (scrape: narrows it)', () => {
    const loopback = remote.replace('bind: 0.0.0.0', 'bind: 127.0.0.1');
    expect(errors({ 'e.yaml': base(api + loopback + prom) })).toEqual([
      expect.stringContaining('services.exporter.bind: prometheus on host core reaches exporter at b.example.com:19100, but it listens on 127.0.0.1 only'),
    ]);
    const only = promConfig(synth({ 'e.yaml': base(api + loopback + prom.replace('retention: 90d', 'scrape: [api]')) }).obs);
    expect(only).toContain('job_name: "api"');
    expect(only).not.toContain('exporter');
  });

  it('keeps data in a protected volume with the retention given', () => {
    const s = synth({ 'e.yaml': base(prom) }).obs;
    expect(s.resource.docker_container.svc_prometheus_1.command).toContain('--storage.tsdb.retention.time=90d');
    expect(s.resource.docker_volume.volume_prometheus_data.lifecycle).toEqual({ prevent_destroy: true });
  });
});

describe('Grafana and Jaeger', () => {
  const services = '  prometheus: { kind: prometheus, host: core }\n  jaeger: { kind: jaeger, host: core, otlpPort: 4317, bind: 0.0.0.0 }\n  grafana: { kind: grafana, host: core, adminPassword: GF_PASSWORD }\n  worker: { kind: service, host: b, image: x/w, tag: "1", tracing: true }\n  api: { kind: service, host: core, image: x/a, tag: "1", tracing: true }\n';
  const sOf = shared(() => synth({ 'e.yaml': base(services) }).obs);

  it('Grafana gets its datasources from the model and its password from a secret file', () => {
    const s = sOf();
    const c = s.resource.docker_container;
    const ds = c.svc_grafana_1.upload.find((u: any) => u.file.endsWith('datasources/stackyard.yaml')).content;
    expect(ds).toContain('  - name: "prometheus"\n    type: prometheus\n    access: proxy\n    url: "http://prometheus:9090"\n    isDefault: true');
    expect(ds).toContain('  - name: "jaeger"\n    type: jaeger\n    access: proxy\n    url: "http://jaeger:16686"');
    expect(c.svc_grafana_1.env).toContain('GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/GF_PASSWORD');
    expect(s.resource.docker_volume.volume_grafana_data.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('Grafana datasources follow the model: a Jaeger added appears, removed goes', () => {
    const ds = (services: string) => synth({ 'e.yaml': base(services) }).obs.resource.docker_container.svc_grafana_1.upload.find((u: any) => u.file.endsWith('datasources/stackyard.yaml')).content as string;
    const without = ds('  prometheus: { kind: prometheus, host: core }\n  grafana: { kind: grafana, host: core, adminPassword: GF_PASSWORD }\n');
    const withJaeger = ds('  prometheus: { kind: prometheus, host: core }\n  jaeger: { kind: jaeger, host: b, bind: 0.0.0.0 }\n  grafana: { kind: grafana, host: core, adminPassword: GF_PASSWORD }\n');
    expect(without).not.toContain('type: jaeger');
    expect(withJaeger).toContain('  - name: "jaeger"\n    type: jaeger\n    access: proxy\n    url: "http://b.example.com:16686"');
  });

  it('services that opt into tracing get the OTLP endpoint, across hosts by address', () => {
    const c = sOf().resource.docker_container;
    expect(c.svc_api_1.env).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4317');
    expect(c.svc_worker_1.env).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=http://core.example.com:4317');
    expect(c.svc_jaeger_1.ports).toEqual([{ internal: 4317, external: 4317, protocol: 'tcp', ip: '0.0.0.0' }, { internal: 16686, external: 16686, protocol: 'tcp', ip: '0.0.0.0' }]);
  });
});

describe('Alertmanager', () => {
  it('writes the routing tree from the environment file and checks receiver names', () => {
    const am = '  alertmanager: { kind: alertmanager, host: core, receivers: { oncall: "https://hooks.example.com/a", team: "https://hooks.example.com/b" }, defaultReceiver: team, routes: [{ match: { severity: critical }, receiver: oncall }] }\n';
    const conf = synth({ 'e.yaml': base(am) }).obs.resource.docker_container.svc_alertmanager_1.upload[0].content;
    expect(conf).toBe('route:\n  receiver: "team"\n  routes:\n    - receiver: "oncall"\n      matchers:\n        - "severity=\\"critical\\""\nreceivers:\n  - name: "oncall"\n    webhook_configs:\n      - url: "https://hooks.example.com/a"\n  - name: "team"\n    webhook_configs:\n      - url: "https://hooks.example.com/b"\n');
    expect(errors({ 'e.yaml': base(am.replace('receiver: oncall', 'receiver: pager')) })).toEqual([
      'e.yaml:8:207 services.alertmanager.routes.0.receiver: unknown receiver "pager"; known: oncall, team',
    ]);
  });

  it('an unknown default receiver, or no receiver at all, is refused at its place; without routes the tree has none', () => {
    const am = (fields: string) => `  alertmanager: { kind: alertmanager, host: core, ${fields} }\n`;
    const [unknownDefault] = errors({ 'e.yaml': base(am('receivers: { team: "https://hooks.example.com/b" }, defaultReceiver: oncall')) });
    expect(unknownDefault).toMatch(/^e\.yaml:8:\d+ services\.alertmanager\.defaultReceiver: unknown receiver "oncall"; known: team$/);
    const [none] = errors({ 'e.yaml': base(am('receivers: {}, defaultReceiver: team')) });
    expect(none).toMatch(/^e\.yaml:8:\d+ services\.alertmanager\.receivers: declare at least one receiver$/);
    const conf = synth({ 'e.yaml': base(am('receivers: { team: "https://hooks.example.com/b" }, defaultReceiver: team')) }).obs.resource.docker_container.svc_alertmanager_1.upload[0].content;
    expect(conf).toBe('route:\n  receiver: "team"\nreceivers:\n  - name: "team"\n    webhook_configs:\n      - url: "https://hooks.example.com/b"\n');
  });
});
