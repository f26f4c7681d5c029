import { describe, expect, it } from 'vitest';
import { TraefikProxy } from '../../constructs/traefik-proxy';
import { WebService } from '../../constructs/web-service';
import { dockerStack } from './harness';

describe('TraefikProxy', () => {
  it('only sees labelled containers of its environment on its network', () => {
    const { containers, json } = dockerStack((s) => new TraefikProxy(s, 'proxy', { host: 'main', entrypoints: { web: 8001 } }));
    const p = containers.svc_proxy_1;
    expect(json.resource.docker_image.image_main_traefik_v3_6.name).toBe('traefik:v3.6');
    expect(p.command).toEqual(expect.arrayContaining([
      '--providers.docker.exposedbydefault=false',
      '--providers.docker.network=unit-proxy',
      '--providers.docker.constraints=Label(`stackyard.environment`,`unit`)',
      '--entrypoints.web.address=:8001',
    ]));
    expect(p.ports).toEqual([{ internal: 8001, external: 8001, protocol: 'tcp', ip: '0.0.0.0' }]);
    expect(p.volumes).toEqual([{ host_path: '/var/run/docker.sock', container_path: '/var/run/docker.sock', read_only: true }]);
    expect(p.command.join(' ')).not.toContain('api.insecure');
  });

  it('routes a web service by labels, load-balanced over its replicas', () => {
    const { containers } = dockerStack((s) => {
      new TraefikProxy(s, 'proxy', { host: 'main', entrypoints: { web: 80, websecure: 443 }, acme: { email: 'ops@example.com', entrypoint: 'websecure' } });
      new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, health: '/health', route: 'Host(`api.example.com`) && PathPrefix(`/api`)', entrypoints: ['websecure'] });
    });
    for (const k of ['svc_api_1', 'svc_api_2']) {
      const labels = Object.fromEntries(containers[k].labels.map((l: any) => [l.label, l.value]));
      expect(labels).toMatchObject({
        'traefik.enable': 'true',
        'traefik.http.routers.unit-api.rule': 'Host(`api.example.com`) && PathPrefix(`/api`)',
        'traefik.http.routers.unit-api.entrypoints': 'websecure',
        'traefik.http.routers.unit-api.tls.certresolver': 'le',
        'traefik.http.services.unit-api.loadbalancer.server.port': '8000',
        'traefik.http.services.unit-api.loadbalancer.healthcheck.path': '/health',
      });
    }
    expect(containers.svc_proxy_1.command).toContain('--certificatesresolvers.le.acme.tlschallenge=true');
  });

  it('publishes the dashboard only when asked, and on 127.0.0.1 only; the entrypoints on every interface', () => {
    const { containers } = dockerStack((s) => new TraefikProxy(s, 'proxy', { host: 'main', dashboard: { port: 8090 } }));
    expect(containers.svc_proxy_1.ports).toEqual([
      { internal: 80, external: 80, protocol: 'tcp', ip: '0.0.0.0' },
      { internal: 8080, external: 8090, protocol: 'tcp', ip: '127.0.0.1' },
    ]);
    expect(containers.svc_proxy_1.command).toContain('--api.dashboard=true');
  });
});
