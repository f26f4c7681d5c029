import { describe, expect, it } from 'vitest';
import { Redis, REDIS_CONFIG } from '../../constructs/redis';
import { dockerStack } from './harness';

describe('Redis', () => {
  it('puts password and policy in an uploaded config file, never on the command line', () => {
    const { containers, json } = dockerStack((s) => new Redis(s, 'cache', { host: 'main', password: 'REDIS_PASSWORD' }));
    const r = containers.svc_cache_1;
    expect(json.resource.docker_image.image_main_redis_7.name).toBe('redis:7');
    expect(r.command).toEqual(['redis-server', REDIS_CONFIG]);
    const conf = r.upload.find((u: any) => u.file === REDIS_CONFIG);
    expect(conf.content).toBe('maxmemory 512mb\nmaxmemory-policy allkeys-lru\nappendonly yes\ndir /data\nprotected-mode no\nrequirepass ${var.REDIS_PASSWORD}\n');
    expect(JSON.stringify(r.command) + JSON.stringify(r.env)).not.toContain('var.REDIS_PASSWORD');
    expect(r.healthcheck.test[0]).toBe('CMD-SHELL');
    expect(json.resource.docker_volume.volume_cache_data.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('takes maxmemory, eviction policy and persistence from props', () => {
    const { containers } = dockerStack((s) => new Redis(s, 'cache', { host: 'main', password: 'REDIS_PASSWORD', maxmemory: '100mb', evictionPolicy: 'noeviction', appendonly: false }));
    const conf = containers.svc_cache_1.upload.find((u: any) => u.file === REDIS_CONFIG).content;
    expect(conf).toContain('maxmemory 100mb\nmaxmemory-policy noeviction\nappendonly no\n');
  });
});
