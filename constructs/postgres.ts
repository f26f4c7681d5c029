import { Construct } from 'constructs';
import { IDENTIFIER } from '../lib/config/schema';
import { EnvironmentStack } from '../lib/environment-stack';
import { Service } from '../lib/service';
import { healthcheck, type Connectable } from '../lib/workload';
import { endpoint } from '../lib/workload';
import { limits, type Origin } from '../lib/values';

export interface PostgresProps {
  readonly host: string;
  /** Secret holding the superuser password, delivered through POSTGRES_PASSWORD_FILE. */
  readonly passwordSecret: string;
  /** Major version. @default "17" */
  readonly version?: string;
  /** Use the TimescaleDB image. @default false */
  readonly timescale?: boolean;
  /** @default postgres, or timescale/timescaledb with `timescale` */
  readonly image?: string;
  /** @default "<version>", or "latest-pg<version>" with `timescale` (pin it in production) */
  readonly tag?: string;
  /** @default "app" */
  readonly user?: string;
  /** @default "app" */
  readonly database?: string;
  /** Publish 5432 on the host at this port (for services on other hosts). @default - not published */
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

/** Data directory of the official image (and of TimescaleDB's), kept in a protected volume. */
export const POSTGRES_DATA = '/var/lib/postgresql/data';

/**
 * PostgreSQL (or TimescaleDB) with its data in a protected named volume, a pg_isready
 * healthcheck and the password read from a secret file by the image's _FILE convention.
 */
export class Postgres extends Construct implements Connectable {
  readonly service: Service;
  readonly passwordSecret: string;
  readonly user: string;
  readonly database: string;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const version = props.version ?? '17';
    const timescale = props.timescale ?? false;
    this.passwordSecret = props.passwordSecret;
    this.user = props.user ?? 'app';
    this.database = props.database ?? 'app';
    // plain identifiers only: they reach SQL, pg_isready and the backup's shell command
    for (const [field, value] of [['user', this.user], ['database', this.database]] as const) {
      if (!IDENTIFIER.test(value)) {
        const where = props.origin?.locate(field) ?? { file: `construct ${this.node.path}`, line: 0, col: 0, path: field };
        EnvironmentStack.of(this).wiringProblems.push({ ...where, message: `a Postgres ${field === 'user' ? 'role' : 'database'} name is letters, digits and _, starting with a letter or _ (at most 63), got ${JSON.stringify(value)}` });
      }
    }
    this.service = new Service(this, 'Default', {
      name: id,
      host: props.host,
      kind: 'postgres',
      image: {
        repository: props.image ?? (timescale ? 'timescale/timescaledb' : 'postgres'),
        tag: props.tag ?? (timescale ? `latest-pg${version}` : version),
      },
      healthcheck: healthcheck({ test: ['CMD', 'pg_isready', '-U', this.user, '-d', this.database], interval: '5s', timeout: '5s', retries: 10, startPeriod: '30s' }),
      stateful: true,
      // the official image's STOPSIGNAL: fast shutdown (SIGTERM would wait for every client to leave)
      stopSignal: 'SIGINT',
      // secretsOwner stays root: the entrypoint reads POSTGRES_PASSWORD_FILE as root, then drops to uid 999
      ...limits(props),
      labels: props.labels,
      origin: props.origin,
    });
    this.service
      .addEnv('POSTGRES_USER', this.user)
      .addEnv('POSTGRES_DB', this.database)
      .addEnv('PGDATA', POSTGRES_DATA)
      .addSecret(this.passwordSecret)
      .addEnv('POSTGRES_PASSWORD_FILE', `/run/secrets/${this.passwordSecret}`)
      .addPort('postgres', 5432, props.publish, props.bind)
      .addVolume('data', POSTGRES_DATA);
  }

  /**
   * The consumer gets DB_HOST, DB_PORT, DB_NAME, DB_USER, the password as a file
   * (DB_PASSWORD_FILE) and a full URL as a file (DATABASE_URL_FILE), and waits for health.
   */
  connect(consumer: Service): void {
    consumer.dependOn(this.service, 'healthy');
    const ep = endpoint(this.service, 'postgres', consumer);
    if (!ep) return;
    consumer
      .addEnv('DB_HOST', ep.host)
      .addEnv('DB_PORT', String(ep.port))
      .addEnv('DB_NAME', this.database)
      .addEnv('DB_USER', this.user)
      .addSecret(this.passwordSecret)
      .addEnv('DB_PASSWORD_FILE', `/run/secrets/${this.passwordSecret}`)
      .addFile({
        path: '/run/secrets/DATABASE_URL',
        content: [`postgresql://${this.user}:`, { secret: this.passwordSecret, encode: 'url' }, `@${ep.host}:${ep.port}/${this.database}`],
      })
      .addEnv('DATABASE_URL_FILE', '/run/secrets/DATABASE_URL');
  }
}
