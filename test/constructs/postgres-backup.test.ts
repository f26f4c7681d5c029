import { describe, expect, it } from 'vitest';
import { Postgres } from '../../constructs/postgres';
import { PostgresBackup } from '../../constructs/postgres-backup';
import { dockerStack } from './harness';

describe('PostgresBackup', () => {
  it("dumps the database nightly with its own image into a protected volume, the password read from the database's secret file", () => {
    const { containers, json } = dockerStack((s) => {
      const db = new Postgres(s, 'db', { host: 'main', password: 'DB_PASSWORD', version: '17' });
      new PostgresBackup(s, 'backup', { database: db, retentionDays: 7 });
    });
    const c = containers.svc_backup_1;
    expect(c.image).toBe(containers.svc_db_1.image);
    const labels = Object.fromEntries(c.labels.map((l: any) => [l.label, l.value]));
    expect(labels['ofelia.job-exec.backup.schedule']).toBe('0 0 3 * * *');
    const run = labels['ofelia.job-exec.backup.command'];
    expect(run).toContain('pg_dump -h db -U app app');
    expect(run).toContain('PGPASSWORD=\\"$(cat /run/secrets/DB_PASSWORD)\\"'); // one double-quoted word for Ofelia
    expect(run).toContain('-mtime +7 -delete');
    expect(JSON.stringify([c.env, c.command, c.labels])).not.toContain('var.DB_PASSWORD');
    expect(c.upload.map((u: any) => u.file)).toEqual(['/run/secrets/DB_PASSWORD']);
    expect(json.resource.docker_volume.volume_backup_backups.lifecycle).toEqual({ prevent_destroy: true });
  });
});
