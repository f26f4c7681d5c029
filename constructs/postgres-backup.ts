import type { Construct } from 'constructs';
import type { Postgres } from './postgres';
import { shellQuote } from '../lib/values';
import { ScheduledJob } from './scheduled-job';

export interface PostgresBackupProps {
  /** The database to dump. */
  readonly database: Postgres;
  /** @default "0 3 * * *" (nightly at 03:00) */
  readonly schedule?: string;
  /** Days a dump is kept. @default 14 */
  readonly retentionDays?: number;
  /** Named volume holding the dumps, mounted at /backups. @default "backups" (protected) */
  readonly volume?: string;
  /**
   * Write into this environment NFS volume instead (shared storage, seed 003's db-backups), in
   * `directory` under its mount. @default - the named volume
   */
  readonly nfsVolume?: string;
  /** Folder under the NFS mount. @default "db-backups" */
  readonly directory?: string;
  /** Ofelia image for the host's scheduler. @default mcuadros/ofelia:v0.3.13 */
  readonly schedulerImage?: string;
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
    const dir = props.nfsVolume ? `/mnt/${props.nfsVolume}/${props.directory ?? 'db-backups'}` : '/backups';
    // every value is one quoted shell word; only $(date …) and $(cat …) are left to the shell
    const q = shellQuote;
    const file = `${q(`${dir}/${name}_`)}"$(date +%Y%m%d)".sql.gz`;
    super(scope, id, {
      host: db.service.host,
      image: db.service.image.repository,
      tag: db.service.image.tag,
      schedule: props.schedule ?? '0 3 * * *',
      schedulerImage: props.schedulerImage,
      command: [
        'sh',
        '-c',
        `mkdir -p ${q(dir)} && PGPASSWORD="$(cat ${q(`/run/secrets/${db.passwordSecret}`)})" pg_dump -h ${q(db.service.serviceName)} -U ${q(db.user)} ${q(name)} | gzip > ${file}.tmp && mv ${file}.tmp ${file} && find ${q(dir)} -name ${q(`${name}_*.sql.gz`)} -mtime ${q(`+${days}`)} -delete`,
      ],
      secrets: [db.passwordSecret],
      volumes: props.nfsVolume ? {} : { [props.volume ?? 'backups']: '/backups' },
    });
    if (props.nfsVolume) this.service.addNfsMount(props.nfsVolume, `/mnt/${props.nfsVolume}`);
    this.service.dependOn(db.service, 'healthy');
  }
}
