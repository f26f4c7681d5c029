import { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { defineKind, entryProps, single, withDefaults, type ConstructProps } from '../lib/kind';
import { secretPath, Service } from '../lib/service';
import { endpoint, healthcheck, type Connectable } from '../lib/workload';
import { limits, shellQuote } from '../lib/values';

export const RedisSchema = z.strictObject({
  kind: f.kind('redis', 'Redis: password and policy in an uploaded config file (never on the command line), append-only, protected volume.'),
  host: f.host,
  version: f.version('7', 'Major version (the image tag unless `tag` is set)'),
  image: f.imageOverride('redis'),
  tag: z.string().optional().describe('Image tag. Default: the version.'),
  password: f.secretName.describe('Declared secret holding the password (requirepass).'),
  maxmemory: z.string().regex(f.MEMORY, 'expected a memory size such as 512mb').default('512mb').describe('maxmemory setting.'),
  evictionPolicy: z.enum(['noeviction', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']).default('allkeys-lru').describe('maxmemory-policy setting.'),
  appendonly: z.boolean().default(true).describe('Append-only persistence.'),
  publish: f.port.optional().describe('Publish 6379 on the host at this port (needed by services on other hosts). Default: not published.'),
  bind: f.publishBind,
  resources: f.resources,
  labels: f.labels,
});

export type RedisProps = ConstructProps<typeof RedisSchema>;

/** Where the configuration file is uploaded; redis-server is started with it, like redis:7 docs show. */
export const REDIS_CONFIG = '/usr/local/etc/redis/redis.conf';

/**
 * Redis with its password and settings in an uploaded configuration file (never on the
 * command line, so `docker inspect` shows none of it) and data in a protected volume.
 */
export class Redis extends Construct implements Connectable {
  readonly service: Service;
  readonly passwordSecret: string;

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const p = withDefaults(RedisSchema, props);
    this.passwordSecret = p.password;
    this.service = new Service(this, 'Default', {
      name: id,
      host: p.host,
      kind: 'redis',
      image: { repository: p.image ?? 'redis', tag: p.tag ?? p.version },
      command: ['redis-server', REDIS_CONFIG],
      healthcheck: healthcheck({
        test: `REDISCLI_AUTH="$(cat ${shellQuote(secretPath(this.passwordSecret))})" redis-cli ping | grep -q PONG`,
        interval: '5s',
        timeout: '3s',
        retries: 10,
        startPeriod: '5s',
      }),
      stateful: true,
      // secrets are read as root (the healthcheck); the server reads its configuration after
      // dropping to uid 999, hence that file's 0444 below
      ...limits(p.resources),
      labels: p.labels,
      origin: p.origin,
    });
    const lines = [
      `maxmemory ${p.maxmemory}`,
      `maxmemory-policy ${p.evictionPolicy}`,
      `appendonly ${p.appendonly ? 'yes' : 'no'}`,
      'dir /data',
      'protected-mode no',
    ];
    this.service
      // the server drops to the redis user before reading its configuration, so the file is world-readable inside the container
      .addFile({ path: REDIS_CONFIG, content: [`${lines.join('\n')}\nrequirepass `, { secret: this.passwordSecret }, '\n'], mode: '0444' })
      .addSecret(this.passwordSecret)
      .addPort('redis', 6379, p.publish, p.bind)
      .addVolume('data', '/data');
  }

  /** The consumer gets REDIS_HOST, REDIS_PORT, REDIS_PASSWORD_FILE and REDIS_URL_FILE, and waits for health. */
  connect(consumer: Service): void {
    consumer.dependOn(this.service, 'healthy');
    const ep = endpoint(this.service, 'redis', consumer);
    if (!ep) return;
    consumer
      .addEnv('REDIS_HOST', ep.host)
      .addEnv('REDIS_PORT', String(ep.port))
      .addSecret(this.passwordSecret)
      .addEnv('REDIS_PASSWORD_FILE', secretPath(this.passwordSecret))
      .addFile({ path: secretPath('REDIS_URL'), content: ['redis://:', { secret: this.passwordSecret, encode: 'url' }, `@${ep.host}:${ep.port}/0`] })
      .addEnv('REDIS_URL_FILE', secretPath('REDIS_URL'));
  }
}

export const redisKind = defineKind({
  kind: 'redis',
  schema: RedisSchema,
  stateful: true,
  provides: ['celery-broker'],
  build: (svc, ctx) => single(new Redis(ctx.stack, ctx.name, entryProps(svc, ctx))),
});
