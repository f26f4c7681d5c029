/** Scheduled jobs and backups from environment files: Ofelia on Docker hosts, cron checks. */
import { describe, expect, it } from 'vitest';
import { postgresBackupKind } from '../constructs/postgres-backup';
import { cronProblem } from '../constructs/scheduled-job';
import type { BuildContext } from '../lib/kind';
import { ofeliaWord, withSecondsField } from '../lib/docker/scheduler';
import { loadEnvironments } from '../lib/environments';
import { errors, shared, synth, twoHostEnvironment, writeFiles } from './helpers';

const base = twoHostEnvironment;
/** A synthesized container's labels as a map. */
const labelsOf = (container: { labels: { label: string; value: string }[] }) => Object.fromEntries(container.labels.map((l) => [l.label, l.value]));

describe('schedules', () => {
  const sOf = shared(() => synth({
    'e.yaml': base(`  sync: { kind: scheduled-job, host: core, image: x/api, tag: "1", command: [bash, scripts/fetch_contracts.sh], schedule: "0 0,6,12,18 * * *", uses: [db] }
  backup: { kind: postgres-backup, database: db, retentionDays: 7 }
`),
  }).obs);
  const labels = (k: string) => labelsOf(sOf().resource.docker_container[k]);

  it('a scheduled job idles with its settings and secrets; Ofelia execs the command on the cron (seconds field added)', () => {
    const c = sOf().resource.docker_container;
    expect([c.svc_sync_1.entrypoint, c.svc_sync_1.command]).toEqual([['sleep'], ['infinity']]);
    expect(labels('svc_sync_1')).toMatchObject({ 'ofelia.enabled': 'true', 'ofelia.job-exec.sync.schedule': '0 0 0,6,12,18 * * *', 'ofelia.job-exec.sync.command': 'bash scripts/fetch_contracts.sh' });
    expect(c.svc_sync_1.env).toContain('DATABASE_URL_FILE=/run/secrets/DATABASE_URL');
  });

  it('one scheduler per host, watching only this environment, with the host docker socket', () => {
    const c = sOf().resource.docker_container;
    expect(Object.keys(c).filter((k) => k.startsWith('svc_scheduler'))).toEqual(['svc_scheduler_core_1']);
    expect(c.svc_scheduler_core_1.command).toEqual(['daemon', '--docker', '--docker-filter=label=stackyard.environment=obs']);
    expect(c.svc_scheduler_core_1.volumes).toEqual([{ host_path: '/var/run/docker.sock', container_path: '/var/run/docker.sock', read_only: true }]);
  });

  it('a Postgres backup dumps <db>_YYYYMMDD.sql.gz nightly into a protected volume and prunes by age', () => {
    const s = sOf();
    const c = s.resource.docker_container;
    const cmd = labels('svc_backup_1')['ofelia.job-exec.backup.command'];
    expect(labels('svc_backup_1')['ofelia.job-exec.backup.schedule']).toBe('0 0 3 * * *');
    // Ofelia's word splitting (gobs/args): the sh -c script is one double-quoted word, its " escaped
    expect(cmd).toContain('pg_dump -h db -U app app | gzip > /backups/app_\\"$(date +%Y%m%d)\\".sql.gz.tmp');
    expect(cmd).toContain("find /backups -name 'app_*.sql.gz' -mtime +7 -delete\"");
    expect(cmd.startsWith('sh -c "mkdir -p /backups && PGPASSWORD=\\"$(cat /run/secrets/DB_PASSWORD)\\" pg_dump')).toBe(true);
    expect(c.svc_backup_1.volumes).toEqual([{ container_path: '/backups', volume_name: '${docker_volume.volume_backup_backups.name}' }]);
    expect(s.resource.docker_volume.volume_backup_backups.lifecycle).toEqual({ prevent_destroy: true });
    expect(c.svc_backup_1.upload.map((u: any) => u.file)).toEqual(['/run/secrets/DB_PASSWORD']);
  });

  it('a backup written before its database in the file is built after it (databases first): the same stack as in file order', () => {
    const dbLine = '  db: { kind: postgres, host: core, password: DB_PASSWORD, publish: 5432, bind: 0.0.0.0 }\n';
    const backup = '  backup: { kind: postgres-backup, database: db, retentionDays: 7 }\n';
    const inOrder = base(backup);
    const reversed = inOrder.replace(dbLine, '').replace(backup, backup + dbLine);
    expect(reversed.indexOf('backup:')).toBeLessThan(reversed.indexOf('  db:'));
    expect(synth({ 'e.yaml': reversed }).obs.resource.docker_container).toEqual(synth({ 'e.yaml': inOrder }).obs.resource.docker_container);
  });

  it('the scheduler is replaced when a job of its host changes (Ofelia reads the job labels only when it starts)', () => {
    const env = (cmd: string, cron = '0 3 * * *') => synth({
      'e.yaml': base(`  sync: { kind: scheduled-job, host: core, image: x/a, tag: "1", command: [${cmd}], schedule: "${cron}" }\n`),
    }).obs.resource.docker_container.svc_scheduler_core_1.labels.find((l: any) => l.label === 'stackyard.scheduler.jobs').value;
    const first = env('run');
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(env('run')).toBe(first);
    expect(env('run, --all')).not.toBe(first);
    expect(env('run', '0 4 * * *')).not.toBe(first);
  });

  it('the digest is the host\'s own jobs, whatever their order in the file: a job changed on another host replaces nothing here', () => {
    const digests = (services: string) => {
      const c = synth({ 'e.yaml': base(services) }).obs.resource.docker_container;
      return ['svc_scheduler_core_1', 'svc_scheduler_b_1'].map((k) => labelsOf(c[k])['stackyard.scheduler.jobs']);
    };
    const job = (name: string, host: string, cmd: string) => `  ${name}: { kind: scheduled-job, host: ${host}, image: x/a, tag: "1", command: [${cmd}], schedule: "0 3 * * *" }\n`;
    const [core, b] = digests(job('one', 'core', 'a') + job('two', 'core', 'b') + job('far', 'b', 'c'));
    expect(digests(job('two', 'core', 'b') + job('far', 'b', 'c') + job('one', 'core', 'a'))).toEqual([core, b]);
    const [core2, b2] = digests(job('one', 'core', 'a') + job('two', 'core', 'b') + job('far', 'b', 'changed'));
    expect(core2).toBe(core);
    expect(b2).not.toBe(b);
  });

  it('on a unix:// host the scheduler mounts that host\'s socket path, read-only, as /var/run/docker.sock', () => {
    const c = synth({
      'e.yaml': 'name: u\nhosts:\n  h1: { docker: "unix:///run/h1/docker.sock" }\nservices:\n  sync: { kind: scheduled-job, host: h1, image: x/a, tag: "1", command: [run], schedule: "0 3 * * *" }\n',
    }).u.resource.docker_container;
    expect(c.svc_scheduler_h1_1.volumes).toEqual([{ host_path: '/run/h1/docker.sock', container_path: '/var/run/docker.sock', read_only: true }]);
  });

  it('withSecondsField: a schedule given to a Service directly (not trimmed by a kind) reaches Ofelia as six plain fields', () => {
    expect(withSecondsField('  0 3 * * *\n')).toBe('0 0 3 * * *');
    expect(withSecondsField(' */10  * * * * * ')).toBe('*/10 * * * * *');
  });

  it('quotes each command word as Ofelia splits it: bare when plain, else double-quoted with \\ and " escaped', () => {
    // checked once against github.com/gobs/args (Ofelia v0.3.13's splitter): these words come back as given
    expect(['sh', '-c', 'a && b', `it's "x" a\\b`, '', '(x)', '|y'].map(ofeliaWord).join(' '))
      .toBe(`sh -c "a && b" "it's \\"x\\" a\\\\b" "" "(x)" "|y"`);
  });

  it('six fields give Ofelia the seconds; the scheduler image comes from `scheduler.image`', () => {
    const t = synth({
      'e.yaml': base('  sync: { kind: scheduled-job, host: core, image: x/a, tag: "1", command: [run], schedule: "*/10 * * * * *" }\n  backup: { kind: postgres-backup, database: db, schedule: "5 * * * * *" }\n', 'scheduler: { image: "10.0.0.2:5000/ofelia:v0.3.13" }\n'),
    }).obs.resource;
    const l = (k: string) => labelsOf(t.docker_container[k]);
    expect(l('svc_sync_1')['ofelia.job-exec.sync.schedule']).toBe('*/10 * * * * *');
    expect(l('svc_backup_1')['ofelia.job-exec.backup.schedule']).toBe('5 * * * * *');
    // spaces around the expression (the check allows them) do not reach Ofelia
    const padded = synth({ 'e.yaml': base('  sync: { kind: scheduled-job, host: core, image: x/a, tag: "1", command: [run], schedule: "  */10 * * * * *  " }\n') }).obs.resource;
    expect(labelsOf(padded.docker_container.svc_sync_1)['ofelia.job-exec.sync.schedule']).toBe('*/10 * * * * *');
    // and not the model either, which a Kubernetes CronJob takes as it is
    const k8s = loadEnvironments(writeFiles({ 'e.yaml': 'name: k\nplatform: kubernetes\nkubernetes:\n  namespace: k\n  nodePools: { general: {} }\nservices:\n  sync: { kind: scheduled-job, host: general, image: x/a, tag: "1", command: [run], schedule: "  0 3 * * *  " }\n' }))[0];
    expect(k8s.services.find((x) => x.serviceName === 'sync')?.schedule?.cron).toBe('0 3 * * *');
    expect(Object.values(t.docker_image).map((i: any) => i.name)).toContain('10.0.0.2:5000/ofelia:v0.3.13');
    expect(Object.values(t.docker_image).map((i: any) => i.name)).not.toContain('mcuadros/ofelia:v0.3.13');
    expect(errors({ 'e.yaml': base('  sync: { kind: scheduled-job, host: core, image: x/a, tag: "1", command: [run], schedule: "60 * * * * *" }\n') })).toEqual([
      'e.yaml:8:82 services.sync.schedule: invalid cron expression "60 * * * * *": second 60 is outside 0-59',
    ]);
    expect(errors({ 'e.yaml': base('  sync: { kind: scheduled-job, host: core, image: x/a, tag: "1", command: [run], schedule: "* * * * *" }\n', 'scheduler: { image: ofelia }\n') })).toEqual([
      'e.yaml:2:14 scheduler.image: an image with its tag, e.g. registry.example.com/ofelia:v0.3.13 (got "ofelia")',
    ]);
  });

  it('an invalid cron expression is reported with what is wrong', () => {
    expect(errors({ 'e.yaml': base('  sync: { kind: scheduled-job, host: core, image: x/a, tag: "1", command: [run], schedule: "every 6 hours" }\n') })).toEqual([
      'e.yaml:8:82 services.sync.schedule: invalid cron expression "every 6 hours": expected 5 fields (minute hour day month weekday), or 6 with seconds first, got 3',
    ]);
    expect(errors({ 'e.yaml': base('  sync: { kind: scheduled-job, host: core, image: x/a, tag: "1", command: [run], schedule: "0 25 * * *" }\n') })).toEqual([
      'e.yaml:8:82 services.sync.schedule: invalid cron expression "0 25 * * *": hour 25 is outside 0-23',
    ]);
  });
});

describe('cron expressions, field by field (cronProblem)', () => {
  it('accepts each form within bounds: *, numbers, ranges, lists, steps; spaces around and between fields', () => {
    for (const ok of ['* * * * *', '0 0 1 1 0', '59 23 31 12 7', '*/15 0-6,18-23 1-31/2 */3 1,3,5', '  5\t4  * * *  ', '0-59/59 * * * *']) expect(cronProblem(ok), ok).toBeUndefined();
    expect(cronProblem('30 */10 * * * *', { seconds: true })).toBeUndefined();
    expect(cronProblem('59 * * * * *', { seconds: true })).toBeUndefined();
  });

  it('names the field and the bound each value breaks, low and high, in ranges too', () => {
    const cases: [string, string][] = [
      ['60 * * * *', 'minute 60 is outside 0-59'],
      ['* 24 * * *', 'hour 24 is outside 0-23'],
      ['* * 0 * *', 'day of month 0 is outside 1-31'],
      ['* * 32 * *', 'day of month 32 is outside 1-31'],
      ['* * * 0 *', 'month 0 is outside 1-12'],
      ['* * * 13 *', 'month 13 is outside 1-12'],
      ['* * * * 8', 'day of week 8 is outside 0-7'],
      ['0-60 * * * *', 'minute 60 is outside 0-59'],
      ['* 1,2,30 * * *', 'hour 30 is outside 0-23'],
      ['*/0 * * * *', 'minute step must be at least 1'],
      ['* 1-5/0 * * *', 'hour step must be at least 1'],
      ['a * * * *', 'minute field "a" is not a number, range, list or step'],
      ['1-a * * * *', 'minute field "1-a" is not a number, range, list or step'],
      ['1/2/3 * * * *', 'minute field "1/2/3" is not a number, range, list or step'],
      ['x1 * * * *', 'minute field "x1" is not a number, range, list or step'],
      ['1x * * * *', 'minute field "1x" is not a number, range, list or step'],
      ['* * * * 1,', 'day of week field "1," is not a number, range, list or step'],
    ];
    for (const [expr, problem] of cases) expect(cronProblem(expr), expr).toBe(problem);
  });

  it('six fields only with seconds, which come first; the count is said either way', () => {
    expect(cronProblem('0 * * * * *')).toBe('expected 5 fields (minute hour day month weekday), got 6');
    expect(cronProblem('60 * * * * *', { seconds: true })).toBe('second 60 is outside 0-59');
    expect(cronProblem('0 60 * * * *', { seconds: true })).toBe('minute 60 is outside 0-59');
    expect(cronProblem('* * * *', { seconds: true })).toBe('expected 5 fields (minute hour day month weekday), or 6 with seconds first, got 4');
    expect(cronProblem('* * * * * * *', { seconds: true })).toBe('expected 5 fields (minute hour day month weekday), or 6 with seconds first, got 7');
  });
});

describe('a postgres-backup\'s own checks', () => {
  const backup = (fields: string, extra = '') => errors({ 'e.yaml': base(`${extra}  backup: { kind: postgres-backup, ${fields}, schedule: "0 4 * * *" }\n`) });

  it('its database must be a postgres service of the file', () => {
    expect(backup('database: nope')).toEqual(['e.yaml:8:36 services.backup.database: unknown service "nope"; known: db, backup']);
    expect(backup('database: cache', '  cache: { kind: redis, host: core, password: REDIS_PASSWORD }\n')).toEqual(['e.yaml:9:36 services.backup.database: cache is a redis, not a postgres service']);
  });

  it('building one before its database (an ordering fault, not a file\'s) names both, whatever was built under that name', () => {
    const svc = { kind: 'postgres-backup', database: 'db', schedule: '0 3 * * *', retentionDays: 14, directory: 'db-backups' } as const;
    const ctx = (built: unknown) => ({ name: 'backup', built: () => built }) as unknown as BuildContext;
    for (const built of [undefined, {}, { construct: {} }]) {
      expect(() => postgresBackupKind.build(svc, ctx(built)), JSON.stringify(built)).toThrow(/^postgres-backup backup: database db must be built first$/);
    }
  });

  it('`directory:` only means something under an NFS volume, which must be one of the file\'s', () => {
    expect(backup('database: db, directory: elsewhere')).toEqual(["e.yaml:8:50 services.backup.directory: has no effect without `nfsVolume:` (it is the folder under the NFS volume's mount); add `nfsVolume:` or remove `directory:`"]);
    expect(backup('database: db, nfsVolume: media')).toEqual(['e.yaml:8:50 services.backup.nfsVolume: unknown NFS volume "media"; known: none']);
  });
});

