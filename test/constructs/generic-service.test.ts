import { describe, expect, it } from 'vitest';
import { GenericService } from '../../constructs/generic-service';
import { WebService } from '../../constructs/web-service';
import { loadEnvironments } from '../../lib/environments';
import { releasedImage } from '../../lib/workload';
import { writeFiles } from '../helpers';
import { dockerStack } from './harness';

describe('GenericService', () => {
  it('runs its image with its own command, entrypoint, replicas, ports and secrets as given', () => {
    const { containers } = dockerStack((s) => new GenericService(s, 'watcher', {
      host: 'main', image: 'ghcr.io/acme/watcher', tag: '2.1', command: ['watch', '--all'], entrypoint: ['/tini', '--'], replicas: 2,
      ports: { metrics: { container: 9100, publish: 9100 } }, secrets: ['JWT_SECRET', { name: 'DB_PASSWORD', as: 'env' }],
    }));
    expect(Object.keys(containers)).toEqual(['svc_watcher_1', 'svc_watcher_2']);
    const c = containers.svc_watcher_1;
    expect([c.entrypoint, c.command]).toEqual([['/tini', '--'], ['watch', '--all']]);
    expect(c.ports).toEqual([{ internal: 9100, external: 9100, ip: '127.0.0.1', protocol: 'tcp' }]);
    expect(c.env).toEqual(expect.arrayContaining(['JWT_SECRET_FILE=/run/secrets/JWT_SECRET', 'DB_PASSWORD=${var.DB_PASSWORD}']));
    expect(c.upload.map((u: any) => u.file)).toEqual(['/run/secrets/JWT_SECRET']);
  });

  it('a health path without a port gives no healthcheck (there is no port to ask); with the port, curl asks that port and path', () => {
    const without = dockerStack((s) => new GenericService(s, 'w', { host: 'main', image: 'x/w', tag: '1', health: '/h' })).containers.svc_w_1;
    expect(without.healthcheck).toBeUndefined();
    const withPort = dockerStack((s) => new GenericService(s, 'w', { host: 'main', image: 'x/w', tag: '1', port: 8000, health: '/h' })).containers.svc_w_1;
    expect(withPort.healthcheck.test).toEqual(['CMD', 'curl', '-fsS', '-o', '/dev/null', 'http://localhost:8000/h']);
  });

  it('one replica unless told; its own stop grace; a plain port is its http port', () => {
    const { containers, environment } = dockerStack((s) => new GenericService(s, 'w', { host: 'main', image: 'x/w', tag: '1', port: 8000, stopGracePeriod: '45s' }));
    expect(Object.keys(containers)).toEqual(['svc_w_1']);
    expect(containers.svc_w_1.destroy_grace_seconds).toBe(45);
    expect(environment.service('w')!.port('http')).toMatchObject({ name: 'http', container: 8000 });
  });
});

describe('a workload used by another (connect)', () => {
  const deps = (s: { dependencies: readonly { service: { serviceName: string }; condition: string }[] }) => s.dependencies.map((d) => `${d.service.serviceName} ${d.condition}`);

  it('waits for it healthy when it has a health check, started when not; <NAME>_URL only for an http port, the name\'s runs of other characters one _', () => {
    const { environment } = dockerStack((s) => {
      const web = new WebService(s, 'api--v2', { host: 'main', image: 'x/a', tag: '1', port: 8000, health: '/h', replicas: 1 });
      const plain = new GenericService(s, 'plain', { host: 'main', image: 'x/p', tag: '1' });
      new GenericService(s, 'client', { host: 'main', image: 'x/c', tag: '1' }).uses(web).uses(plain);
    });
    const client = environment.service('client')!;
    expect(deps(client).sort()).toEqual(['api--v2 healthy', 'plain started']);
    expect([...client.env].filter(([k]) => k.endsWith('_URL'))).toEqual([['API_V2_URL', 'http://api--v2:8000']]);
  });

  it('across hosts both at a loopback address (engines of one machine): reached at that address, loopback bind and all', () => {
    const { environment, problems } = dockerStack((s) => {
      const api = new GenericService(s, 'api', { host: 'a', image: 'x/a', tag: '1', ports: { http: { container: 8000, publish: 18000 } } });
      new GenericService(s, 'client', { host: 'b', image: 'x/c', tag: '1' }).uses(api);
    }, { hosts: ['a', 'b'], addresses: ['127.0.0.1', '127.0.0.1'] });
    expect(problems).toEqual([]);
    expect(environment.service('client')!.env.get('API_URL')).toBe('http://127.0.0.1:18000');
  });
});

describe('released images (releasedImage)', () => {
  const release = { tag: 'r7', images: ['ghcr.io/acme/api'] };
  it('an image of the release without its own tag takes the release tag; its own tag, or an image not released, keeps its tag', () => {
    expect(releasedImage({ image: 'ghcr.io/acme/api' }, release)).toEqual({ tag: 'r7', release: true });
    expect(releasedImage({ image: 'ghcr.io/acme/api', tag: 'pinned' }, release)).toEqual({ tag: 'pinned', release: false });
    expect(releasedImage({ image: 'ghcr.io/acme/web', tag: '1' }, release)).toEqual({ tag: '1', release: false });
    expect(releasedImage({ image: 'ghcr.io/acme/api' })).toEqual({ tag: undefined, release: false });
  });
});

describe('reaching a service on Kubernetes', () => {
  it('by its name from any node pool (a Service in the namespace), never by an address', () => {
    const [k] = loadEnvironments(writeFiles({ 'k.yaml': 'name: k\nplatform: kubernetes\nkubernetes:\n  namespace: k\n  nodePools: { a: {}, b: {} }\nservices:\n  api: { kind: service, host: a, image: x/a, tag: "1", ports: { http: 8000 } }\n  client: { kind: service, host: b, image: x/c, tag: "1", uses: [api] }\n' }));
    expect(k.service('client')!.env.get('API_URL')).toBe('http://api:8000');
  });
});

