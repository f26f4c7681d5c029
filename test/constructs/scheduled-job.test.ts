import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { GenericService as ServiceConstruct } from '../../constructs/generic-service';
import { ScheduledJob } from '../../constructs/scheduled-job';
import { environmentStack } from '../../lib/app';
import { validate } from '../../lib/build';
import { ConfigError } from '../../lib/config/errors';
import { Environment } from '../../lib/environment';
import { parseImage, Service } from '../../lib/service';
import { dockerStack } from './harness';

const model = () => new Environment({ name: 'unit', hosts: [{ name: 'main', docker: 'ssh://deploy@main.example.com:22', address: '10.0.0.1', sshOptions: [] }], secrets: [] });
const problemsOf = (f: () => void) => {
  try {
    f();
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.file} ${p.message}`);
    throw e;
  }
};

describe('ScheduledJob', () => {
  it('says only schedule in the model; on Docker the job idles and the host\'s Ofelia runs entrypoint + command on the cron', () => {
    const { containers, environment } = dockerStack((s) => new ScheduledJob(s, 'nightly', { host: 'main', image: 'x/app', tag: '1', entrypoint: ['/tini', '--'], command: ['run', 'it all'], schedule: '0 3 * * *' }));
    const model = environment.service('nightly')!;
    expect(model.schedule).toEqual({ cron: '0 3 * * *', command: ['/tini', '--', 'run', 'it all'] });
    expect([model.entrypoint, model.command]).toEqual([['/tini', '--'], ['run', 'it all']]);
    const c = containers.svc_nightly_1;
    expect([c.entrypoint, c.command]).toEqual([['sleep'], ['infinity']]);
    const labels = Object.fromEntries(c.labels.map((l: any) => [l.label, l.value]));
    expect(labels).toMatchObject({ 'ofelia.enabled': 'true', 'ofelia.job-exec.nightly.schedule': '0 0 3 * * *', 'ofelia.job-exec.nightly.command': '/tini -- run "it all"', 'ofelia.job-exec.nightly.no-overlap': 'true' });
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

  it('a model built from code gets its schedulers from validate(), so the model rules check them too', () => {
    const environment = model();
    new ScheduledJob(environment, 'nightly', { host: 'main', image: 'x/app', tag: '1', command: ['run'], schedule: '0 3 * * *' });
    validate(environment);
    expect(environment.services.map((s) => `${s.serviceName} ${s.kind}`)).toContain('scheduler-main scheduler');
  });

  it('a service of the user\'s named scheduler-<host> is reported, not silently left without its host\'s scheduler', () => {
    const environment = model();
    new ScheduledJob(environment, 'nightly', { host: 'main', image: 'x/app', tag: '1', command: ['run'], schedule: '0 3 * * *' });
    new ServiceConstruct(environment, 'scheduler-main', { host: 'main', image: 'x/app', tag: '1' });
    expect(problemsOf(() => validate(environment))).toEqual([
      'construct unit/scheduler-main/Default the name scheduler-main belongs to the scheduler of host main (the Ofelia container that runs that host\'s schedules); rename this service',
    ]);
  });

  it('a clash that appears after validate() is an error at render (no check reads the model\'s problems any more)', () => {
    const environment = model();
    new ServiceConstruct(environment, 'scheduler-main', { host: 'main', image: 'x/app', tag: '1' });
    validate(environment);
    new ScheduledJob(environment, 'nightly', { host: 'main', image: 'x/app', tag: '1', command: ['run'], schedule: '0 3 * * *' });
    expect(problemsOf(() => Testing.synth(environmentStack(Testing.app(), environment)))).toEqual([
      'construct unit/scheduler-main/Default the name scheduler-main belongs to the scheduler of host main (the Ofelia container that runs that host\'s schedules); rename this service',
    ]);
  });

  it('a construct of the name that holds no Service is named itself; a sibling whose name merely starts the same is not it', () => {
    const environment = model();
    new ScheduledJob(environment, 'nightly', { host: 'main', image: 'x/app', tag: '1', command: ['run'], schedule: '0 3 * * *' });
    new Construct(environment, 'scheduler-main');
    new ServiceConstruct(environment, 'scheduler-main2', { host: 'main', image: 'x/app', tag: '1' });
    expect(problemsOf(() => validate(environment))).toEqual([
      'construct unit/scheduler-main the name scheduler-main belongs to the scheduler of host main (the Ofelia container that runs that host\'s schedules); rename this service',
    ]);
  });

  it('a Service built in code that takes the name elsewhere in the tree, or the construct of the name holding a Service named otherwise: each reported where it is', () => {
    const named = model();
    new ScheduledJob(named, 'nightly', { host: 'main', image: 'x/app', tag: '1', command: ['run'], schedule: '0 3 * * *' });
    new Service(new Construct(named, 'tools'), 'Default', { name: 'scheduler-main', host: 'main', kind: 'service', image: parseImage('x/app:1') });
    expect(problemsOf(() => validate(named))).toEqual([
      'construct unit/tools/Default the name scheduler-main belongs to the scheduler of host main (the Ofelia container that runs that host\'s schedules); rename this service',
    ]);
    const held = model();
    new ScheduledJob(held, 'nightly', { host: 'main', image: 'x/app', tag: '1', command: ['run'], schedule: '0 3 * * *' });
    new Service(new Construct(held, 'scheduler-main'), 'Default', { name: 'helper', host: 'main', kind: 'service', image: parseImage('x/app:1') });
    expect(problemsOf(() => validate(held))).toEqual([
      'construct unit/scheduler-main/Default the name scheduler-main belongs to the scheduler of host main (the Ofelia container that runs that host\'s schedules); rename this service',
    ]);
  });

  it('a model never validated meets the clash at render, and the stack\'s own check at synth reports it', () => {
    const { stack } = dockerStack((s) => {
      new ScheduledJob(s, 'nightly', { host: 'main', image: 'x/app', tag: '1', command: ['run'], schedule: '0 3 * * *' });
      new ServiceConstruct(s, 'scheduler-main', { host: 'main', image: 'x/app', tag: '1' });
    });
    expect(stack.node.validate().join('\n')).toContain('the name scheduler-main belongs to the scheduler of host main');
  });
});
