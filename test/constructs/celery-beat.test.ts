import { describe, expect, it } from 'vitest';
import { CeleryBeat } from '../../constructs/celery-beat';
import { Redis } from '../../constructs/redis';
import { dockerStack } from './harness';

describe('CeleryBeat', () => {
  it('runs the beat scheduler of its app, once: a second replica is refused', () => {
    const { containers, problems } = dockerStack((s) => {
      const redis = new Redis(s, 'redis', { host: 'main', password: 'REDIS_PASSWORD' });
      new CeleryBeat(s, 'beat', { host: 'main', image: 'x/app', tag: '1', app: 'app.worker' }).uses(redis);
    });
    expect(problems).toEqual([]);
    expect(Object.keys(containers).filter((k) => k.startsWith('svc_beat_'))).toEqual(['svc_beat_1']);
    expect(containers.svc_beat_1.command).toEqual(['celery', '-A', 'app.worker', 'beat', '--loglevel=INFO']);
    expect(containers.svc_beat_1.env).toContain('CELERY_BROKER_URL_FILE=/run/secrets/REDIS_URL');
    const twice = dockerStack((s) => new CeleryBeat(s, 'beat', { host: 'main', image: 'x/app', tag: '1', app: 'app.worker', replicas: 2 }));
    expect(twice.problems).toEqual(['beat is a singleton and must run exactly 1 replica, got 2; remove `replicas` or use kind: web']);
  });
});
