import { describe, expect, it } from 'vitest';
import { CeleryBeat } from '../../constructs/celery-beat';
import { Postgres } from '../../constructs/postgres';
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

  it('only a Redis it uses becomes its broker: a database it uses sets no broker', () => {
    const { containers } = dockerStack((s) => {
      const db = new Postgres(s, 'db', { host: 'main', password: 'DB_PASSWORD' });
      new CeleryBeat(s, 'beat', { host: 'main', image: 'x/app', tag: '1', app: 'app.worker' }).uses(db);
    });
    expect(containers.svc_beat_1.env.some((e: string) => e.startsWith('CELERY_'))).toBe(false);
    expect(containers.svc_beat_1.env).toContain('DATABASE_URL_FILE=/run/secrets/DATABASE_URL'); // the use itself still wired
  });
});
