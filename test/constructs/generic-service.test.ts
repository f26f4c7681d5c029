import { describe, expect, it } from 'vitest';
import { GenericService } from '../../constructs/generic-service';
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
});
