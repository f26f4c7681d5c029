import { describe, expect, it } from 'vitest';
import { OneShotJob } from '../../constructs/one-shot-job';
import { Postgres } from '../../constructs/postgres';
import { WebService } from '../../constructs/web-service';
import { dockerStack } from './harness';

describe('OneShotJob', () => {
  it('runs to completion once, fails the deploy by name, and gates its dependents', () => {
    const { containers } = dockerStack((s) => {
      const db = new Postgres(s, 'db', { host: 'main', password: 'DB_PASSWORD' });
      const job = new OneShotJob(s, 'prestart', { host: 'main', image: 'x/api:1', command: ['bash', 'scripts/prestart.sh'] }).uses(db);
      new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, health: '/h' }).after(job);
    });
    const j = containers.svc_prestart_1;
    expect([j.must_run, j.attach, j.restart, j.wait]).toEqual([false, true, 'no', undefined]);
    expect(j.lifecycle.postcondition[0].condition).toBe('${self.exit_code == 0}');
    expect(j.lifecycle.postcondition[0].error_message).toContain('one-shot job "prestart" of environment "unit" failed');
    expect(containers.svc_api_1.depends_on).toEqual(['docker_container.svc_prestart_1']);
  });

  it('a service that uses a job (rather than going after it) also waits for it to complete, not to be healthy', () => {
    let api: WebService | undefined;
    const { containers } = dockerStack((s) => {
      const job = new OneShotJob(s, 'prestart', { host: 'main', image: 'x/api:1', command: ['migrate'] });
      api = new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, health: '/h' }).uses(job);
    });
    expect(api!.service.dependencies.map((d) => [d.service.serviceName, d.condition])).toEqual([['prestart', 'completed']]);
    expect(containers.svc_api_1.depends_on).toEqual(['docker_container.svc_prestart_1']);
    // nothing of a connection: no URL or secret of the job in the service
    expect((containers.svc_api_1.env ?? []).filter((e: string) => e.startsWith('PRESTART_'))).toEqual([]);
  });
});
