import { describe, expect, it } from 'vitest';
import { ScheduledJob } from '../../constructs/scheduled-job';
import { dockerStack } from './harness';

describe('ScheduledJob', () => {
  it('says only schedule in the model; on Docker the job idles and the host\'s Ofelia runs entrypoint + command on the cron', () => {
    const { containers, stack } = dockerStack((s) => new ScheduledJob(s, 'nightly', { host: 'main', image: 'x/app', tag: '1', entrypoint: ['/tini', '--'], command: ['run', 'it all'], schedule: '0 3 * * *' }));
    const model = stack.service('nightly')!;
    expect(model.schedule).toEqual({ cron: '0 3 * * *', command: ['/tini', '--', 'run', 'it all'] });
    expect([model.entrypoint, model.command]).toEqual([['/tini', '--'], ['run', 'it all']]);
    const c = containers.svc_nightly_1;
    expect([c.entrypoint, c.command]).toEqual([['sleep'], ['infinity']]);
    const labels = Object.fromEntries(c.labels.map((l: any) => [l.label, l.value]));
    expect(labels).toMatchObject({ 'ofelia.enabled': 'true', 'ofelia.job-exec.nightly.schedule': '0 0 3 * * *', 'ofelia.job-exec.nightly.command': "/tini -- run 'it all'", 'ofelia.job-exec.nightly.no-overlap': 'true' });
    const ofelia = containers['svc_scheduler-main_1'] ?? containers.svc_scheduler_main_1;
    expect(ofelia.command).toEqual(['daemon', '--docker', '--docker-filter=label=stackyard.environment=unit']);
    expect(ofelia.image).toContain('ofelia');
  });

  it('keeps a seconds field Ofelia reads, and one Ofelia per host however many jobs', () => {
    const { containers } = dockerStack((s) => {
      new ScheduledJob(s, 'a', { host: 'main', image: 'x/app', tag: '1', command: ['a'], schedule: '*/20 * * * * *' });
      new ScheduledJob(s, 'b', { host: 'main', image: 'x/app', tag: '1', command: ['b'], schedule: '0 * * * *' });
    });
    expect(containers.svc_a_1.labels).toContainEqual({ label: 'ofelia.job-exec.a.schedule', value: '*/20 * * * * *' });
    expect(Object.keys(containers).filter((k) => k.includes('scheduler'))).toHaveLength(1);
  });
});
