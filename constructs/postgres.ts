import { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { EnvironmentStack } from '../lib/environment-stack';
import { defineKind, entryProps, single, withDefaults, type ConstructProps } from '../lib/kind';
import { Service, secretPath } from '../lib/service';
import { healthcheck, type Connectable } from '../lib/workload';
import { endpoint } from '../lib/workload';
import { limits } from '../lib/values';

export const PostgresSchema = z.strictObject({
  kind: f.kind('postgres', 'PostgreSQL (or TimescaleDB): protected data volume, pg_isready healthcheck, password from a secret file.'),
  host: f.host,
  version: f.version('17', 'Major version'),
  timescale: z.boolean().default(false).describe('Use the TimescaleDB image (timescale/timescaledb:latest-pg<version>).'),
  image: f.imageOverride('postgres (or timescale/timescaledb)'),
  tag: z.string().optional().describe('Image tag (pin it in production). Default: the version, or latest-pg<version> with `timescale`.'),
  password: f.secretName.describe('Declared secret holding the superuser password (POSTGRES_PASSWORD_FILE).'),
  user: z.string().regex(f.IDENTIFIER, 'a Postgres role name is letters, digits and _, starting with a letter or _ (at most 63)').default('app').describe('Role name: letters, digits and _, starting with a letter or _.'),
  database: z.string().regex(f.IDENTIFIER, 'a Postgres database name is letters, digits and _, starting with a letter or _ (at most 63)').default('app').describe('Database name: letters, digits and _, starting with a letter or _.'),
  publish: f.port.optional().describe('Publish 5432 on the host at this port (needed by services on other hosts). Default: not published.'),
  bind: f.publishBind,
  resources: f.resources,
  labels: f.labels,
});

export type PostgresProps = ConstructProps<typeof PostgresSchema>;

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
    const p = withDefaults(PostgresSchema, props);
    this.passwordSecret = p.password;
    this.user = p.user;
    this.database = p.database;
    // plain identifiers only: they reach SQL, pg_isready and the backup's shell command
    for (const [field, value] of [['user', this.user], ['database', this.database]] as const) {
      if (!f.IDENTIFIER.test(value)) {
        const where = p.origin?.locate(field) ?? { file: `construct ${this.node.path}`, line: 0, col: 0, path: field };
        EnvironmentStack.of(this).wiringProblems.push({ ...where, message: `a Postgres ${field === 'user' ? 'role' : 'database'} name is letters, digits and _, starting with a letter or _ (at most 63), got ${JSON.stringify(value)}` });
      }
    }
    this.service = new Service(this, 'Default', {
      name: id,
      host: p.host,
      kind: 'postgres',
      image: {
        repository: p.image ?? (p.timescale ? 'timescale/timescaledb' : 'postgres'),
        tag: p.tag ?? (p.timescale ? `latest-pg${p.version}` : p.version),
      },
      healthcheck: healthcheck({ test: ['CMD', 'pg_isready', '-U', this.user, '-d', this.database], interval: '5s', timeout: '5s', retries: 10, startPeriod: '30s' }),
      stateful: true,
      // the official image's STOPSIGNAL: fast shutdown (SIGTERM would wait for every client to leave)
      stopSignal: 'SIGINT',
      // secretsOwner stays root: the entrypoint reads POSTGRES_PASSWORD_FILE as root, then drops to uid 999
      ...limits(p.resources),
      labels: p.labels,
      origin: p.origin,
    });
    this.service
      .addEnv('POSTGRES_USER', this.user)
      .addEnv('POSTGRES_DB', this.database)
      .addEnv('PGDATA', POSTGRES_DATA)
      .addSecret(this.passwordSecret)
      .addEnv('POSTGRES_PASSWORD_FILE', secretPath(this.passwordSecret))
      .addPort('postgres', 5432, p.publish, p.bind)
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
      .addEnv('DB_PASSWORD_FILE', secretPath(this.passwordSecret))
      .addFile({
        path: secretPath('DATABASE_URL'),
        content: [`postgresql://${this.user}:`, { secret: this.passwordSecret, encode: 'url' }, `@${ep.host}:${ep.port}/${this.database}`],
      })
      .addEnv('DATABASE_URL_FILE', secretPath('DATABASE_URL'));
  }
}

export const postgresKind = defineKind({
  kind: 'postgres',
  schema: PostgresSchema,
  stateful: true,
  rank: 1,
  provides: ['postgres'],
  build: (svc, ctx) => single(new Postgres(ctx.stack, ctx.name, entryProps(svc, ctx))),
});
