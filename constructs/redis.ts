import { Construct } from 'constructs';
import { Service } from '../lib/service';
import { endpoint, healthcheck, type Connectable } from '../lib/workload';
import { limits, shellQuote, type Origin } from '../lib/values';

export interface RedisProps {
  readonly host: string;
  /** Secret holding the password (requirepass). */
  readonly passwordSecret: string;
  /** @default "7" */
  readonly version?: string;
  /** @default redis */
  readonly image?: string;
  /** @default - the version */
  readonly tag?: string;
  /** @default "512mb" (seed 004) */
  readonly maxmemory?: string;
  /** @default "allkeys-lru" (seed 004) */
  readonly evictionPolicy?: string;
  /** Append-only persistence. @default true */
  readonly appendonly?: boolean;
  /** @default - not published */
  readonly publish?: number;
  /** @default - unlimited */
  readonly cpus?: number;
  /** @default - unlimited */
  readonly memory?: string;
  /** @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Host address the published port(s) listen on. @default 127.0.0.1 (this host only) */
  readonly bind?: string;
  /** @default - construct path */
  readonly origin?: Origin;
}

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
    this.passwordSecret = props.passwordSecret;
    this.service = new Service(this, 'Default', {
      name: id,
      host: props.host,
      kind: 'redis',
      image: { repository: props.image ?? 'redis', tag: props.tag ?? props.version ?? '7' },
      command: ['redis-server', REDIS_CONFIG],
      healthcheck: healthcheck({
        test: `REDISCLI_AUTH="$(cat ${shellQuote(`/run/secrets/${this.passwordSecret}`)})" redis-cli ping | grep -q PONG`,
        interval: '5s',
        timeout: '3s',
        retries: 10,
        startPeriod: '5s',
      }),
      stateful: true,
      // secrets are read as root (the healthcheck); the server reads its configuration after
      // dropping to uid 999, hence that file's 0444 below
      ...limits(props),
      labels: props.labels,
      origin: props.origin,
    });
    const lines = [
      `maxmemory ${props.maxmemory ?? '512mb'}`,
      `maxmemory-policy ${props.evictionPolicy ?? 'allkeys-lru'}`,
      `appendonly ${(props.appendonly ?? true) ? 'yes' : 'no'}`,
      'dir /data',
      'protected-mode no',
    ];
    this.service
      // the server drops to the redis user before reading its configuration, so the file is world-readable inside the container
      .addFile({ path: REDIS_CONFIG, content: [`${lines.join('\n')}\nrequirepass `, { secret: this.passwordSecret }, '\n'], mode: '0444' })
      .addSecret(this.passwordSecret)
      .addPort('redis', 6379, props.publish, props.bind)
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
      .addEnv('REDIS_PASSWORD_FILE', `/run/secrets/${this.passwordSecret}`)
      .addFile({ path: '/run/secrets/REDIS_URL', content: ['redis://:', { secret: this.passwordSecret, encode: 'url' }, `@${ep.host}:${ep.port}/0`] })
      .addEnv('REDIS_URL_FILE', '/run/secrets/REDIS_URL');
  }
}
