import { describe, expect, it } from 'vitest';
import { Grafana } from '../../constructs/grafana';
import { Jaeger } from '../../constructs/jaeger';
import { Prometheus } from '../../constructs/prometheus';
import * as fs from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { synthKubernetes } from '../../scripts/synth-k8s';
import { tempDir, writeFiles } from '../helpers';
import { dockerStack } from './harness';

describe('Grafana', () => {
  it('provisions the environment\'s Prometheus and Jaeger as datasources, across hosts by address, admin password from a file', () => {
    const { containers, json } = dockerStack((s) => {
      new Prometheus(s, 'metrics', { host: 'edge', publish: 9090, bind: '0.0.0.0' });
      new Jaeger(s, 'tracing', { host: 'main' });
      new Grafana(s, 'dashboards', { host: 'main', adminPassword: 'GF_PASSWORD' });
    }, { hosts: ['main', 'edge'], secrets: ['GF_PASSWORD'] });
    const c = containers.svc_dashboards_1;
    const ds = c.upload.find((u: any) => u.file === '/etc/grafana/provisioning/datasources/stackyard.yaml').content;
    expect(ds).toContain('name: "metrics"\n    type: prometheus\n    access: proxy\n    url: "http://10.0.0.2:9090"\n    isDefault: true');
    expect(ds).toContain('name: "tracing"\n    type: jaeger\n    access: proxy\n    url: "http://tracing:16686"\n    isDefault: false');
    expect(c.env).toContain('GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/GF_PASSWORD');
    expect(JSON.stringify(c.env)).not.toContain('var.GF_PASSWORD');
    expect(c.ports).toEqual([{ internal: 3000, external: 3000, ip: '127.0.0.1', protocol: 'tcp' }]);
    expect(json.resource.docker_volume.volume_dashboards_data.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('lists several sources by name, whatever order they were built in, the first Prometheus the default', () => {
    const { containers } = dockerStack((s) => {
      new Prometheus(s, 'zeta', { host: 'main' });
      new Jaeger(s, 'tr-b', { host: 'main' });
      new Prometheus(s, 'alpha', { host: 'main' });
      new Jaeger(s, 'tr-a', { host: 'main' });
      new Grafana(s, 'dashboards', { host: 'main', adminPassword: 'GF_PASSWORD' });
    }, { secrets: ['GF_PASSWORD'] });
    const ds: string = containers.svc_dashboards_1.upload.find((u: any) => u.file === '/etc/grafana/provisioning/datasources/stackyard.yaml').content;
    expect([...ds.matchAll(/name: "([^"]+)"\n +type: (\w+)\n.*\n.*\n +isDefault: (\w+)/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`)).toEqual([
      'alpha prometheus true', 'zeta prometheus false', 'tr-a jaeger false', 'tr-b jaeger false',
    ]);
  });

  it('reaches every source on another host: one published on loopback only there is a problem naming Grafana', () => {
    const problems = (prometheusBind: string, jaegerBind: string) => dockerStack((s) => {
      new Prometheus(s, 'metrics', { host: 'edge', publish: 9090, bind: prometheusBind });
      new Jaeger(s, 'tracing', { host: 'edge', uiPort: 16686, bind: jaegerBind });
      new Grafana(s, 'dashboards', { host: 'main', adminPassword: 'GF_PASSWORD' });
    }, { hosts: ['main', 'edge'], secrets: ['GF_PASSWORD'] }).problems;
    expect(problems('127.0.0.1', '0.0.0.0')).toEqual([expect.stringMatching(/^dashboards on host main reaches metrics at 10\.0\.0\.2:9090, but it listens on 127\.0\.0\.1 only/)]);
    expect(problems('0.0.0.0', '127.0.0.1')).toEqual([expect.stringMatching(/^dashboards on host main reaches tracing at 10\.0\.0\.2:16686, but it listens on 127\.0\.0\.1 only/)]);
    expect(problems('0.0.0.0', '0.0.0.0')).toEqual([]);
  });

  it('on Kubernetes reaches Prometheus by its Service name, from any node pool (it used the node pool as a host name)', () => {
    const dir = writeFiles({ 'k.yaml': `name: gk
platform: kubernetes
kubernetes: { namespace: gk, storageClass: local-path, nodePools: { a: {}, b: {} } }
secrets: [GF_PASSWORD]
services:
  metrics: { kind: prometheus, host: a }
  dashboards: { kind: grafana, host: b, adminPassword: GF_PASSWORD }
` });
    const [file] = synthKubernetes([dir], tempDir('stackyard-grafana-k8s-'));
    const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS());
    const files = docs.find((d: any) => d.kind === 'ConfigMap' && d.metadata.name === 'dashboards-files');
    const ds = Object.values(files.data as Record<string, string>).find((v) => v.includes('datasources:'))!;
    expect(ds).toContain('url: "http://metrics:9090"');
  });
});
