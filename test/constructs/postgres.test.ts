import { describe, expect, it } from 'vitest';
import { Postgres, POSTGRES_DATA } from '../../constructs/postgres';
import { WebService } from '../../constructs/web-service';
import { formatProblem } from '../../lib/config/errors';
import { dockerStack } from './harness';

describe('Postgres', () => {
  it('defaults to postgres:17 with a protected data volume, pg_isready and the password as a file', () => {
    const { json, containers } = dockerStack((s) => new Postgres(s, 'db', { host: 'main', password: 'DB_PASSWORD' }));
    expect(json.resource.docker_image.image_main_postgres_17.name).toBe('postgres:17');
    const db = containers.svc_db_1;
    expect(db.env).toEqual(['DB_PASSWORD_FILE=/run/secrets/DB_PASSWORD', 'PGDATA=/var/lib/postgresql/data', 'POSTGRES_DB=app', 'POSTGRES_PASSWORD_FILE=/run/secrets/DB_PASSWORD', 'POSTGRES_USER=app']);
    expect(db.upload).toEqual([{ file: '/run/secrets/DB_PASSWORD', content: '${var.DB_PASSWORD}', permissions: '0400' }]);
    expect(db.healthcheck.test).toEqual(['CMD', 'pg_isready', '-U', 'app', '-d', 'app']);
    expect(db.volumes).toEqual([{ container_path: POSTGRES_DATA, volume_name: '${docker_volume.volume_db_data.name}' }]);
    expect(json.resource.docker_volume.volume_db_data).toMatchObject({ name: 'unit-db-data', lifecycle: { prevent_destroy: true } });
    expect(db.ports).toBeUndefined(); // not published unless asked
  });

  it('from code, a role or database name that is not a plain identifier is a problem at the construct, naming which it is', () => {
    const { environment } = dockerStack((s) => {
      new Postgres(s, 'db', { host: 'main', password: 'DB_PASSWORD', database: 'app-db' });
      new Postgres(s, 'other', { host: 'main', password: 'DB_PASSWORD', user: 'bad user' });
    });
    expect(environment.wiringProblems.map(formatProblem)).toEqual([
      'construct unit/db:0:0 database: a Postgres database name is letters, digits and _, starting with a letter or _ (at most 63), got "app-db"',
      'construct unit/other:0:0 user: a Postgres role name is letters, digits and _, starting with a letter or _ (at most 63), got "bad user"',
    ]);
  });

  it('uses the TimescaleDB image with timescale: true', () => {
    const { json } = dockerStack((s) => new Postgres(s, 'db', { host: 'main', password: 'DB_PASSWORD', timescale: true, version: '16' }));
    expect(json.resource.docker_image.image_main_timescale_timescaledb_latest_pg16.name).toBe('timescale/timescaledb:latest-pg16');
  });

  it('wires a consumer on the same host by service name, password and URL as files', () => {
    const { containers } = dockerStack((s) => {
      const db = new Postgres(s, 'db', { host: 'main', password: 'DB_PASSWORD', database: 'ktrdr', user: 'ktrdr' });
      new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, health: '/h' }).uses(db);
    });
    const api = containers.svc_api_1;
    expect(api.env).toEqual(expect.arrayContaining(['DB_HOST=db', 'DB_PORT=5432', 'DB_NAME=ktrdr', 'DB_USER=ktrdr', 'DATABASE_URL_FILE=/run/secrets/DATABASE_URL']));
    expect(api.upload).toContainEqual({ file: '/run/secrets/DATABASE_URL', content: 'postgresql://ktrdr:${urlencode(var.DB_PASSWORD)}@db:5432/ktrdr', permissions: '0400' });
    expect(api.depends_on).toEqual(['docker_container.svc_db_1']);
  });

  it('wires a consumer on another host through the host address and published port', () => {
    const { containers, problems } = dockerStack(
      (s) => {
        const db = new Postgres(s, 'db', { host: 'core', password: 'DB_PASSWORD', publish: 5433, bind: '10.0.0.1' });
        new WebService(s, 'worker', { host: 'workers', image: 'x/w:1', port: 5003, health: '/h' }).uses(db);
      },
      { hosts: ['core', 'workers'] },
    );
    expect(problems).toEqual([]);
    expect(containers.svc_worker_1.env).toEqual(expect.arrayContaining(['DB_HOST=10.0.0.1', 'DB_PORT=5433']));
    expect(containers.svc_db_1.ports).toEqual([{ internal: 5432, external: 5433, protocol: 'tcp', ip: '10.0.0.1' }]);
    expect(containers.svc_worker_1.provider).toBe('docker.workers');
  });
});
