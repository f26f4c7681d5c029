import { describe, expect, it } from 'vitest';
import { GenericService } from '../../constructs/generic-service';
import { WebService } from '../../constructs/web-service';
import { dockerStack } from './harness';

describe('WebService', () => {
  it('defaults to two health-checked replicas named <env>-<service>-<n> that wait for health', () => {
    const { containers } = dockerStack((s) => new WebService(s, 'api', { host: 'main', image: 'ghcr.io/acme/api', tag: 'sha-1234567', port: 8000, health: '/health' }));
    expect(Object.keys(containers)).toEqual(['svc_api_1', 'svc_api_2']);
    const c = containers.svc_api_2;
    expect(c.name).toBe('unit-api-2');
    expect(c.hostname).toBe('unit-api-2');
    expect(c.restart).toBe('unless-stopped');
    expect(c.healthcheck).toEqual({ test: ['CMD', 'curl', '-fsS', '-o', '/dev/null', 'http://localhost:8000/health'], interval: '10s', timeout: '5s', retries: 5, start_period: '10s' });
    expect(c.wait).toBe(true);
    expect(c.log_opts).toEqual({ 'max-file': '3', 'max-size': '10m' });
    expect(c.networks_advanced).toEqual([{ name: '${docker_network.network_main_private.name}', aliases: ['api'] }]);
  });

  it('turns cpus and memory into limits and escapes ${ in plain settings', () => {
    const { containers } = dockerStack((s) => new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, resources: { cpus: 0.5, memory: '3g' }, env: { GREETING: 'hi ${name}' } }));
    expect(containers.svc_api_1.cpus).toBe('0.5');
    expect(containers.svc_api_1.memory).toBe(3072);
    expect(containers.svc_api_1.env).toContain('GREETING=hi $${name}');
  });

  it('gives another workload its URL when used', () => {
    const { containers } = dockerStack((s) => {
      const api = new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, health: '/h' });
      new GenericService(s, 'worker', { host: 'main', image: 'x/w:1' }).uses(api);
    });
    expect(containers.svc_worker_1.env).toContain('API_URL=http://api:8000');
    expect(containers.svc_worker_1.depends_on).toEqual(['docker_container.svc_api_1', 'docker_container.svc_api_2']);
  });
});
