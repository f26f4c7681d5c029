import { describe, expect, it } from 'vitest';
import { CeleryWorker } from '../../constructs/celery-worker';
import { Redis } from '../../constructs/redis';
import { dockerStack } from './harness';

describe('CeleryWorker', () => {
  it('builds its command from app, queues and concurrency, and gets broker and backend from the Redis it uses', () => {
    const { containers, stack } = dockerStack((s) => {
      const redis = new Redis(s, 'redis', { host: 'main', password: 'REDIS_PASSWORD' });
      new CeleryWorker(s, 'worker', { host: 'main', image: 'x/app', tag: '1', app: 'app.worker', queues: ['high', 'low'], concurrency: 4 }).uses(redis);
    });
    const c = containers.svc_worker_1;
    expect(c.command).toEqual(['celery', '-A', 'app.worker', 'worker', '--loglevel=INFO', '-Q', 'high,low', '--concurrency', '4']);
    expect(c.env).toEqual(expect.arrayContaining(['CELERY_BROKER_URL_FILE=/run/secrets/REDIS_URL', 'CELERY_RESULT_BACKEND_FILE=/run/secrets/REDIS_URL', 'REDIS_HOST=redis']));
    // a worker finishes the task in hand: Celery's warm shutdown gets two minutes
    expect(c.destroy_grace_seconds).toBe(120);
    expect(stack.service('worker')!.kind).toBe('celery-worker');
  });
});
