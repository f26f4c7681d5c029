/** Worker pools, Celery and observability: what each construct wires, checked on synthesized JSON. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp, environmentFiles } from '../lib/app';
import { errors, MINIMAL, synth, tempDir } from './helpers';

const HOSTS = `hosts:
  core: { docker: "ssh://deploy@core.example.com", address: core.example.com }
  b: { docker: "ssh://deploy@b.example.com", address: b.example.com }
`;
const base = (services: string, extra = '') => `name: obs\n${extra}${HOSTS}secrets: [DB_PASSWORD, REDIS_PASSWORD, GF_PASSWORD]\nservices:\n  db: { kind: postgres, host: core, password: DB_PASSWORD, publish: 5432, bind: 0.0.0.0 }\n${services}`;
const promConfig = (stack: any) => stack.resource.docker_container.svc_prometheus_1.upload.find((u: any) => u.file === '/etc/prometheus/prometheus.yml').content as string;

describe('Prometheus targets follow the model', () => {
  const api = '  api: { kind: service, host: core, image: x/api, tag: "1", replicas: 2, ports: { metrics: 9100 } }\n';
  const remote = '  exporter: { kind: service, host: b, image: x/exp, tag: "1", ports: { metrics: { container: 9100, publish: 19100, bind: 0.0.0.0 } } }\n';
  const prom = '  prometheus: { kind: prometheus, host: core, retention: 90d }\n';

  it('scrapes every replica of every service with a metrics port, across hosts by address', () => {
    const config = promConfig(synth({ 'e.yaml': base(api + remote + prom) }).obs);
    expect(config).toContain('  - job_name: "api"\n    static_configs:\n      - targets: ["obs-api-1:9100", "obs-api-2:9100"]');
    expect(config).toContain('  - job_name: "exporter"\n    static_configs:\n      - targets: ["b.example.com:19100"]');
  });

  it('adds a target when a service with a metrics port is added, and drops it when removed', () => {
    const without = promConfig(synth({ 'e.yaml': base(prom + api) }).obs);
    const withIt = promConfig(synth({ 'e.yaml': base(prom + api + remote) }).obs);
    expect(without).not.toContain('exporter');
    expect(withIt).toContain('job_name: "exporter"');
    expect(promConfig(synth({ 'e.yaml': base(prom) }).obs)).not.toContain('job_name');
  });

  it('asks a bind: of the metrics ports it scrapes on other hosts, and only of those (scrape: narrows it)', () => {
    const loopback = remote.replace('bind: 0.0.0.0', 'bind: 127.0.0.1');
    expect(errors({ 'e.yaml': base(api + loopback + prom) })).toEqual([
      expect.stringContaining('services.exporter.bind: prometheus on host core reaches exporter at b.example.com:19100, but it listens on 127.0.0.1 only'),
    ]);
    const only = promConfig(synth({ 'e.yaml': base(api + loopback + prom.replace('retention: 90d', 'scrape: [api]')) }).obs);
    expect(only).toContain('job_name: "api"');
    expect(only).not.toContain('exporter');
  });

  it('keeps data in a protected volume with the retention given', () => {
    const s = synth({ 'e.yaml': base(prom) }).obs;
    expect(s.resource.docker_container.svc_prometheus_1.command).toContain('--storage.tsdb.retention.time=90d');
    expect(s.resource.docker_volume.volume_prometheus_data.lifecycle).toEqual({ prevent_destroy: true });
  });
});

describe('Grafana and Jaeger', () => {
  const services = '  prometheus: { kind: prometheus, host: core }\n  jaeger: { kind: jaeger, host: core, otlpPort: 4317, bind: 0.0.0.0 }\n  grafana: { kind: grafana, host: core, adminPassword: GF_PASSWORD }\n  worker: { kind: service, host: b, image: x/w, tag: "1", tracing: true }\n  api: { kind: service, host: core, image: x/a, tag: "1", tracing: true }\n';
  const s = synth({ 'e.yaml': base(services) }).obs;
  const c = s.resource.docker_container;

  it('Grafana gets its datasources from the model and its password from a secret file', () => {
    const ds = c.svc_grafana_1.upload.find((u: any) => u.file.endsWith('datasources/stackyard.yaml')).content;
    expect(ds).toContain('  - name: "prometheus"\n    type: prometheus\n    access: proxy\n    url: "http://prometheus:9090"\n    isDefault: true');
    expect(ds).toContain('  - name: "jaeger"\n    type: jaeger\n    access: proxy\n    url: "http://jaeger:16686"');
    expect(c.svc_grafana_1.env).toContain('GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/GF_PASSWORD');
    expect(s.resource.docker_volume.volume_grafana_data.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('Grafana datasources follow the model: a Jaeger added appears, removed goes', () => {
    const ds = (services: string) => synth({ 'e.yaml': base(services) }).obs.resource.docker_container.svc_grafana_1.upload.find((u: any) => u.file.endsWith('datasources/stackyard.yaml')).content as string;
    const without = ds('  prometheus: { kind: prometheus, host: core }\n  grafana: { kind: grafana, host: core, adminPassword: GF_PASSWORD }\n');
    const withJaeger = ds('  prometheus: { kind: prometheus, host: core }\n  jaeger: { kind: jaeger, host: b, bind: 0.0.0.0 }\n  grafana: { kind: grafana, host: core, adminPassword: GF_PASSWORD }\n');
    expect(without).not.toContain('type: jaeger');
    expect(withJaeger).toContain('  - name: "jaeger"\n    type: jaeger\n    access: proxy\n    url: "http://b.example.com:16686"');
  });

  it('services that opt into tracing get the OTLP endpoint, across hosts by address', () => {
    expect(c.svc_api_1.env).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4317');
    expect(c.svc_worker_1.env).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=http://core.example.com:4317');
    expect(c.svc_jaeger_1.ports).toEqual([{ internal: 4317, external: 4317, protocol: 'tcp', ip: '0.0.0.0' }, { internal: 16686, external: 16686, protocol: 'tcp', ip: '0.0.0.0' }]);
  });
});

describe('WorkerPool', () => {
  const pools = `  backend: { kind: service, host: core, image: x/api, tag: "1", ports: { http: { container: 8000, publish: 8000, bind: 0.0.0.0 } } }
  backtest: { kind: worker-pool, image: x/api, tag: "1", command: [run, backtest], type: backtesting, hosts: { b: 2 }, bind: 0.0.0.0, registerWith: backend, registerEnv: KTRDR_API_URL, uses: [db], resources: { cpus: 1, memory: 3g } }
  training: { kind: worker-pool, image: x/api, tag: "1", command: [run, training], type: training, hosts: { b: 1 }, bind: 0.0.0.0, resources: { cpus: 2, memory: 5g } }
`;
  const c = synth({ 'e.yaml': base(pools) }).obs.resource.docker_container;

  it('allocates ports in sequence per host across pools and builds each public URL from the host address', () => {
    expect([c.svc_backtest_b_1, c.svc_backtest_b_2, c.svc_training_b_1].map((x: any) => x.ports[0].external)).toEqual([5003, 5004, 5005]);
    expect(c.svc_backtest_b_2.env).toEqual(expect.arrayContaining(['WORKER_PORT=5004', 'WORKER_PUBLIC_BASE_URL=http://b.example.com:5004', 'WORKER_TYPE=backtesting', 'KTRDR_API_URL=http://core.example.com:8000', 'DB_HOST=core.example.com']));
    expect([c.svc_backtest_b_1.cpus, c.svc_backtest_b_1.memory, c.svc_training_b_1.cpus, c.svc_training_b_1.memory]).toEqual(['1.0', 3072, '2.0', 5120]);
  });
});

describe('Celery', () => {
  it('a worker and a beat take their broker from the Redis they use', () => {
    const c = synth({ 'e.yaml': base('  redis: { kind: redis, host: core, password: REDIS_PASSWORD }\n  worker: { kind: celery-worker, host: core, image: x/api, tag: "1", app: app.worker, queues: [default, slow], concurrency: 4, uses: [redis] }\n  beat: { kind: celery-beat, host: core, image: x/api, tag: "1", app: app.worker, uses: [redis] }\n') }).obs.resource.docker_container;
    expect(c.svc_worker_1.command).toEqual(['celery', '-A', 'app.worker', 'worker', '--loglevel=INFO', '-Q', 'default,slow', '--concurrency', '4']);
    expect(c.svc_worker_1.env).toEqual(expect.arrayContaining(['CELERY_BROKER_URL_FILE=/run/secrets/REDIS_URL', 'CELERY_RESULT_BACKEND_FILE=/run/secrets/REDIS_URL']));
    expect(c.svc_beat_1.command).toEqual(['celery', '-A', 'app.worker', 'beat', '--loglevel=INFO']);
  });
});

describe('bad input for fleets and observability', () => {
  const one = (services: string, extra = '') => errors({ 'e.yaml': base(services, extra) });
  it('port collision between a pool and a service on one host', () => {
    expect(one('  backtest: { kind: worker-pool, image: x/api, tag: "1", command: [run], type: backtesting, hosts: { b: 2 } }\n  other: { kind: service, host: b, image: x/o, tag: "1", ports: { http: { container: 80, publish: 5004 } } }\n')).toEqual([
      'e.yaml:9:58 services.other.ports: publishes host port 5004 on host b, which backtest-b (replica 2) already publishes; choose another port',
    ]);
  });
  it('a worker host without a public address', () => {
    const out = errors({ 'e.yaml': base('  backtest: { kind: worker-pool, image: x/api, tag: "1", command: [run], type: backtesting, hosts: { b: 1 } }\n').replace('b: { docker: "ssh://deploy@b.example.com", address: b.example.com }', 'b: { docker: "ssh://deploy@b.example.com" }') });
    expect(out).toEqual(['e.yaml:8:102 services.backtest.hosts.b: worker host b has no `address:`, but workers register with a public URL built from it; give hosts.b.address']);
  });
  it('a retention that is not a duration', () => {
    expect(one('  prometheus: { kind: prometheus, host: core, retention: 90 days }\n')).toEqual([
      'e.yaml:8:47 services.prometheus.retention: expected a duration such as 10s, 1m30s, 2h or 90d (got "90 days")',
    ]);
  });
  it('a scrape target on a service with no metrics port', () => {
    expect(one('  api: { kind: service, host: core, image: x/a, tag: "1" }\n  prometheus: { kind: prometheus, host: core, scrape: [api] }\n')).toEqual([
      'e.yaml:9:56 services.prometheus.scrape.0: api declares no `metrics` port to scrape; add `ports: { metrics: <port> }` to it or remove it here',
    ]);
  });
  it('tracing without a Jaeger, and Celery without a broker', () => {
    expect(one('  api: { kind: service, host: core, image: x/a, tag: "1", tracing: true }\n  worker: { kind: celery-worker, host: core, image: x/api, tag: "1", app: app.worker }\n')).toEqual([
      'e.yaml:8:59 services.api.tracing: sends traces, but the environment has no Jaeger; add a service of kind: jaeger or remove `tracing`',
      'e.yaml:9:3 services.worker.uses: a Celery service needs a Redis in `uses:` as its broker and result backend',
    ]);
  });
  it('a celery beat asked for two replicas', () => {
    expect(one('  redis: { kind: redis, host: core, password: REDIS_PASSWORD }\n  beat: { kind: celery-beat, host: core, image: x/api, tag: "1", app: a, uses: [redis], replicas: 2 }\n')).toEqual([
      'e.yaml:9:89 services.beat.replicas: beat is a singleton and must run exactly 1 replica, got 2; remove `replicas` or use kind: web',
    ]);
  });
});

describe('examples', () => {
  const root = path.resolve(__dirname, '..');
  for (const example of fs.readdirSync(path.join(root, 'examples')).filter((d) => fs.statSync(path.join(root, 'examples', d)).isDirectory())) {
    it(`${example} synthesizes and matches its snapshots`, async () => {
      const { app, stacks } = buildApp(environmentFiles(path.join(root, 'examples', example)), path.join(tempDir(), 'out'));
      app.synth();
      expect(stacks.length).toBeGreaterThan(0);
      for (const s of stacks) {
        const text = fs.readFileSync(path.join(app.outdir, 'stacks', s.environmentName, 'cdk.tf.json'), 'utf8');
        await expect(text).toMatchFileSnapshot(`__snapshots__/examples/${example}/${s.environmentName}.tf.json`);
      }
    });
  }
});

describe('schedules', () => {
  const s = synth({
    'e.yaml': base(`  sync: { kind: scheduled-job, host: core, image: x/api, tag: "1", command: [bash, scripts/fetch_contracts.sh], schedule: "0 0,6,12,18 * * *", uses: [db] }
  backup: { kind: postgres-backup, database: db, retentionDays: 7 }
`),
  }).obs;
  const c = s.resource.docker_container;
  const labels = (k: string) => Object.fromEntries(c[k].labels.map((l: any) => [l.label, l.value]));

  it('a scheduled job idles with its settings and secrets; Ofelia execs the command on the cron (seconds field added)', () => {
    expect([c.svc_sync_1.entrypoint, c.svc_sync_1.command]).toEqual([['sleep'], ['infinity']]);
    expect(labels('svc_sync_1')).toMatchObject({ 'ofelia.enabled': 'true', 'ofelia.job-exec.sync.schedule': '0 0 0,6,12,18 * * *', 'ofelia.job-exec.sync.command': 'bash scripts/fetch_contracts.sh' });
    expect(c.svc_sync_1.env).toContain('DATABASE_URL_FILE=/run/secrets/DATABASE_URL');
  });

  it('one scheduler per host, watching only this environment, with the host docker socket', () => {
    expect(Object.keys(c).filter((k) => k.startsWith('svc_scheduler'))).toEqual(['svc_scheduler_core_1']);
    expect(c.svc_scheduler_core_1.command).toEqual(['daemon', '--docker', '--docker-filter=label=stackyard.environment=obs']);
    expect(c.svc_scheduler_core_1.volumes).toEqual([{ host_path: '/var/run/docker.sock', container_path: '/var/run/docker.sock', read_only: true }]);
  });

  it('a Postgres backup dumps <db>_YYYYMMDD.sql.gz nightly into a protected volume and prunes by age', () => {
    const cmd = labels('svc_backup_1')['ofelia.job-exec.backup.command'];
    expect(labels('svc_backup_1')['ofelia.job-exec.backup.schedule']).toBe('0 0 3 * * *');
    expect(cmd).toContain('pg_dump -h db -U app app | gzip > /backups/app_"$(date +%Y%m%d)".sql.gz.tmp');
    expect(cmd).toContain("find /backups -name '\\''app_*.sql.gz'\\'' -mtime +7 -delete");
    expect(c.svc_backup_1.volumes).toEqual([{ container_path: '/backups', volume_name: '${docker_volume.volume_backup_backups.name}' }]);
    expect(s.resource.docker_volume.volume_backup_backups.lifecycle).toEqual({ prevent_destroy: true });
    expect(c.svc_backup_1.upload.map((u: any) => u.file)).toEqual(['/run/secrets/DB_PASSWORD']);
  });

  it('six fields give Ofelia the seconds; the scheduler image comes from `scheduler.image`', () => {
    const t = synth({
      'e.yaml': base('  sync: { kind: scheduled-job, host: core, image: x/a, tag: "1", command: [run], schedule: "*/10 * * * * *" }\n  backup: { kind: postgres-backup, database: db, schedule: "5 * * * * *" }\n', 'scheduler: { image: "10.0.0.2:5000/ofelia:v0.3.13" }\n'),
    }).obs.resource;
    const l = (k: string) => Object.fromEntries(t.docker_container[k].labels.map((x: any) => [x.label, x.value]));
    expect(l('svc_sync_1')['ofelia.job-exec.sync.schedule']).toBe('*/10 * * * * *');
    expect(l('svc_backup_1')['ofelia.job-exec.backup.schedule']).toBe('5 * * * * *');
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

describe('Alertmanager', () => {
  it('writes the routing tree from the environment file and checks receiver names', () => {
    const am = '  alertmanager: { kind: alertmanager, host: core, receivers: { oncall: "https://hooks.example.com/a", team: "https://hooks.example.com/b" }, defaultReceiver: team, routes: [{ match: { severity: critical }, receiver: oncall }] }\n';
    const conf = synth({ 'e.yaml': base(am) }).obs.resource.docker_container.svc_alertmanager_1.upload[0].content;
    expect(conf).toBe('route:\n  receiver: "team"\n  routes:\n    - receiver: "oncall"\n      matchers:\n        - "severity=\\"critical\\""\nreceivers:\n  - name: "oncall"\n    webhook_configs:\n      - url: "https://hooks.example.com/a"\n  - name: "team"\n    webhook_configs:\n      - url: "https://hooks.example.com/b"\n');
    expect(errors({ 'e.yaml': base(am.replace('receiver: oncall', 'receiver: pager')) })).toEqual([
      'e.yaml:8:207 services.alertmanager.routes.0.receiver: unknown receiver "pager"; known: oncall, team',
    ]);
  });
});

describe('NFS', () => {
  const nfs = `  nfs: { kind: nfs-server, host: core, exportPath: /srv/ktrdr-shared, bind: 0.0.0.0 }
  worker: { kind: service, host: b, image: x/w, tag: "1", mounts: { shared: /mnt/shared } }
  api: { kind: service, host: core, image: x/a, tag: "1", mounts: { shared: /mnt/shared } }
`;
  const s = synth({ 'e.yaml': base(nfs, 'nfs: { shared: { server: nfs } }\n') }).obs;

  it('exports from a privileged server with its data in a protected volume, to the environment\'s hosts only, root squashed', () => {
    const c = s.resource.docker_container.svc_nfs_1;
    expect(c.privileged).toBe(true);
    expect(c.env).toContain('NFS_EXPORT_0=/srv/ktrdr-shared b.example.com(rw,no_subtree_check,fsid=0,root_squash) core.example.com(rw,no_subtree_check,fsid=0,root_squash)');
    expect(c.ports).toEqual([{ internal: 2049, external: 2049, protocol: 'tcp', ip: '0.0.0.0' }]);
    expect(s.resource.docker_volume.volume_nfs_export.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('mounts the share on every host through an nfs volume that points at the server host address', () => {
    expect(s.resource.docker_volume.nfs_b_shared).toMatchObject({ provider: 'docker.b', driver: 'local', driver_opts: { type: 'nfs', o: 'addr=core.example.com,nfsvers=4,rw,soft', device: ':/' } });
    expect(s.resource.docker_volume.nfs_core_shared.provider).toBe('docker.core');
    expect(s.resource.docker_container.svc_worker_1.volumes).toEqual([{ container_path: '/mnt/shared', volume_name: '${docker_volume.nfs_b_shared.name}' }]);
  });

  it('a Postgres backup can write into the shared storage', () => {
    const b = synth({ 'e.yaml': base(nfs + '  backup: { kind: postgres-backup, database: db, nfsVolume: shared }\n', 'nfs: { shared: { server: nfs } }\n') }).obs;
    const c = b.resource.docker_container.svc_backup_1;
    expect(c.volumes).toEqual([{ container_path: '/mnt/shared', volume_name: '${docker_volume.nfs_core_shared.name}' }]);
    const cmd = c.labels.find((l: any) => l.label === 'ofelia.job-exec.backup.command').value;
    expect(cmd).toContain('mkdir -p /mnt/shared/db-backups && ');
    expect(cmd).toContain('gzip > /mnt/shared/db-backups/app_"$(date +%Y%m%d)".sql.gz.tmp');
    expect(b.resource.docker_volume.volume_backup_backups).toBeUndefined();
  });

  it('an NFS volume whose server is not in the environment, and a mount of an undeclared volume', () => {
    expect(errors({ 'e.yaml': base(nfs, 'nfs: { shared: { server: filer } }\n') })).toEqual([
      'e.yaml:2:18 nfs.shared.server: "filer" is not an nfs-server service of this environment; name the service of kind: nfs-server that exports this volume',
    ]);
    expect(errors({ 'e.yaml': base(nfs.replace('mounts: { shared: /mnt/shared } }\n  api', 'mounts: { data: /mnt/data } }\n  api'), 'nfs: { shared: { server: nfs } }\n') })).toEqual([
      'e.yaml:10:69 services.worker.mounts.data: unknown NFS volume "data"; known: shared',
    ]);
  });
});
