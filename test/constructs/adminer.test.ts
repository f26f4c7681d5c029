import { describe, expect, it } from 'vitest';
import { Adminer } from '../../constructs/adminer';
import { TraefikProxy } from '../../constructs/traefik-proxy';
import { dockerStack } from './harness';

describe('Adminer', () => {
  it('is routed by the proxy and refused in production', () => {
    const build = (s: any) => {
      new TraefikProxy(s, 'proxy', { host: 'main', version: 'v3.6.12' });
      new Adminer(s, 'adminer', { host: 'main', route: 'Host(`adminer.example.com`)', version: '5.3.0' });
    };
    const dev = dockerStack(build);
    expect(dev.problems).toEqual([]);
    expect(dev.containers.svc_adminer_1.labels).toContainEqual({ label: 'traefik.http.services.unit-adminer.loadbalancer.server.port', value: '8080' });
    expect(dockerStack(build, { production: true }).problems).toEqual(['Adminer is not allowed in a production environment; remove it or set production: false']);
  });
});
