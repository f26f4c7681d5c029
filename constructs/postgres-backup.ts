import type { Construct } from 'constructs';
import type { Postgres } from './postgres';
import { ScheduledJob } from './scheduled-job';

export interface PostgresBackupProps {
  /** The database to dump. */
  readonly database: Postgres;
  /** @default "0 3 * * *" (nightly at 03:00) */
  readonly schedule?: string;
  /** Days a dump is kept. @default 14 */
  readonly retentionDays?: number;
  /** Volume holding the dumps, mounted at /backups. @default "backups" (a protected named volume) */
  readonly volume?: string;
}

/**
 * Nightly compressed dumps named by date (`<db>_YYYYMMDD.sql.gz`, seed 003's db-backups layout)
 * into a protected volume, older ones removed after `retentionDays`. Runs with the database's own
 * image, so pg_dump matches the server; the password comes from the database's secret file.
 */
export class PostgresBackup extends ScheduledJob {
  constructor(scope: Construct, id: string, props: PostgresBackupProps) {
    const db = props.database;
    const name = db.database;
    const days = props.retentionDays ?? 14;
    super(scope, id, {
      host: db.service.host,
      image: db.service.image.repository,
      tag: db.service.image.tag,
      schedule: props.schedule ?? '0 3 * * *',
      command: [
        'sh',
        '-c',
        `PGPASSWORD="$(cat /run/secrets/${db.passwordSecret})" pg_dump -h ${db.service.serviceName} -U ${db.user} ${name} | gzip > /backups/${name}_$(date +%Y%m%d).sql.gz.tmp && mv /backups/${name}_$(date +%Y%m%d).sql.gz.tmp /backups/${name}_$(date +%Y%m%d).sql.gz && find /backups -name "${name}_*.sql.gz" -mtime +${days} -delete`,
      ],
      secrets: [db.passwordSecret],
      volumes: { [props.volume ?? 'backups']: '/backups' },
    });
    this.service.dependOn(db.service, 'healthy');
  }
}
