import type { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { defineKind, single, withDefaults } from '../lib/kind';
import { secretPath } from '../lib/service';
import { shellQuote, type Origin } from '../lib/values';
import { Postgres } from './postgres';
import { checkSchedule, ScheduledJob } from './scheduled-job';

export const PostgresBackupSchema = z.strictObject({
  kind: f.kind('postgres-backup', 'Nightly `<db>_YYYYMMDD.sql.gz` dumps of a postgres service into a protected volume (or an NFS volume), pruned after `retentionDays`.'),
  database: z.string().min(1).describe('The postgres service to dump.'),
  schedule: z.string().min(1).default('0 3 * * *').describe('Five-field cron of the dumps (nightly at 03:00); on Docker hosts six fields give seconds first.'),
  retentionDays: z.number().int().min(1).max(3650).default(14).describe('Days a dump is kept.'),
  nfsVolume: z.string().optional().describe('Write into this NFS volume (shared storage), under `directory`. Default: a protected named volume.'),
  directory: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a folder name').default('db-backups').describe('Folder under the NFS volume\'s mount.'),
});

export type PostgresBackupProps = Omit<z.input<typeof PostgresBackupSchema>, 'kind' | 'database'> & {
  /** The database to dump. */
  readonly database: Postgres;
  /** Named volume holding the dumps, mounted at /backups. @default "backups" (protected) */
  readonly volume?: string;
  /** @default - construct path */
  readonly origin?: Origin;
};

/**
 * Nightly compressed dumps named by date (`<db>_YYYYMMDD.sql.gz`, seed 003's db-backups layout)
 * into a protected volume, older ones removed after `retentionDays`. Runs with the database's own
 * image, so pg_dump matches the server; the password comes from the database's secret file.
 */
export class PostgresBackup extends ScheduledJob {
  constructor(scope: Construct, id: string, props: PostgresBackupProps) {
    const p = withDefaults(PostgresBackupSchema, props);
    const db = props.database;
    const name = db.database;
    const days = p.retentionDays;
    const dir = p.nfsVolume ? `/mnt/${p.nfsVolume}/${p.directory}` : '/backups';
    // every value is one quoted shell word; only $(date …) and $(cat …) are left to the shell
    const q = shellQuote;
    const file = `${q(`${dir}/${name}_`)}"$(date +%Y%m%d)".sql.gz`;
    super(scope, id, {
      host: db.service.host,
      image: db.service.image.repository,
      tag: db.service.image.tag,
      schedule: p.schedule,
      command: [
        'sh',
        '-c',
        `mkdir -p ${q(dir)} && PGPASSWORD="$(cat ${q(secretPath(db.passwordSecret))})" pg_dump -h ${q(db.service.serviceName)} -U ${q(db.user)} ${q(name)} | gzip > ${file}.tmp && mv ${file}.tmp ${file} && find ${q(dir)} -name ${q(`${name}_*.sql.gz`)} -mtime ${q(`+${days}`)} -delete`,
      ],
      secrets: [db.passwordSecret],
      volumes: p.nfsVolume ? {} : { [props.volume ?? 'backups']: '/backups' },
      origin: props.origin,
    });
    if (p.nfsVolume) this.service.addNfsMount(p.nfsVolume, `/mnt/${p.nfsVolume}`);
    this.service.dependOn(db.service, 'healthy');
  }
}

export const postgresBackupKind = defineKind({
  kind: 'postgres-backup',
  schema: PostgresBackupSchema,
  // after the databases it dumps
  rank: 3,
  check(svc, ctx) {
    checkSchedule(svc, ctx);
    const target = ctx.service(svc.database);
    if (!target) ctx.report(['database'], ctx.unknown('service', svc.database, Object.keys(ctx.env.services)));
    else if (!ctx.provides(svc.database, 'postgres')) ctx.report(['database'], `${svc.database} is a ${target.kind}, not a postgres service`);
    if (!svc.nfsVolume && svc.directory !== 'db-backups') ctx.report(['directory'], 'has no effect without `nfsVolume:` (it is the folder under the NFS volume\'s mount); add `nfsVolume:` or remove `directory:`');
    if (svc.nfsVolume && !Object.hasOwn(ctx.env.nfs, svc.nfsVolume)) ctx.report(['nfsVolume'], ctx.unknown('NFS volume', svc.nfsVolume, Object.keys(ctx.env.nfs)));
  },
  build(svc, ctx) {
    const db = ctx.built(svc.database)?.construct;
    if (!(db instanceof Postgres)) throw new Error(`postgres-backup ${ctx.name}: database ${svc.database} must be built first`);
    return single(new PostgresBackup(ctx.environment, ctx.name, { ...svc, database: db, origin: ctx.origin }));
  },
});
