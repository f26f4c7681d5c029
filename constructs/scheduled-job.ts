import { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { EnvironmentStack } from '../lib/environment-stack';
import { defineKind, single, withDefaults, type CheckContext } from '../lib/kind';
import { parseImage, Service } from '../lib/service';
import { shellQuote } from '../lib/values';
import { Workload, workloadProps, type WorkloadProps } from '../lib/workload';

export const ScheduledJobSchema = z.strictObject({
  kind: f.kind('scheduled-job', 'A command on a five-field cron (Ofelia on Docker hosts, a CronJob on Kubernetes).'),
  ...f.common,
  ...f.image,
  command: z.array(z.string()).min(1).describe('The command to run on schedule, e.g. [bash, scripts/fetch_contracts.sh] (after `entrypoint`, when given).'),
  schedule: z.string().min(1).describe('Five-field cron (minute hour day month weekday), e.g. "0 0,6,12,18 * * *" (every 6 hours); on Docker hosts six fields give seconds first, e.g. "*/20 * * * * *".'),
});

/** The default Ofelia image of the hosts' scheduler. */
export const SCHEDULER_IMAGE = 'mcuadros/ofelia:v0.3.13';

/** The top-level `scheduler:` of an environment file: the hosts' Ofelia, shared by every scheduled kind. */
export const SchedulerSchema = z.strictObject({
  image: z.string().regex(/^[^\s:@]+(:\d+)?[^\s:@]*:[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'an image with its tag, e.g. registry.example.com/ofelia:v0.3.13').default(SCHEDULER_IMAGE)
    .describe('Ofelia image with its tag, e.g. a copy in your own registry.'),
}).default({ image: SCHEDULER_IMAGE }).describe('The scheduler of scheduled jobs on Docker hosts (one Ofelia container per host that runs one).');

export type ScheduledJobProps = WorkloadProps<typeof ScheduledJobSchema> & {
  /** Ofelia image for the host's scheduler (the environment file's `scheduler.image`). @default mcuadros/ofelia:v0.3.13 */
  readonly schedulerImage?: string;
};

/**
 * Five-field cron: each field *, a number, a range, a list or a step, within its bounds. With
 * `seconds` (Docker hosts, where Ofelia runs the schedule) six fields, seconds first, are accepted
 * too; a Kubernetes CronJob has no seconds field.
 */
export function cronProblem(expr: string, options: { seconds?: boolean } = {}): string | undefined {
  const fields = expr.trim().split(/\s+/);
  const withSeconds = options.seconds && fields.length === 6;
  if (fields.length !== 5 && !withSeconds) {
    return `expected 5 fields (minute hour day month weekday)${options.seconds ? ', or 6 with seconds first' : ''}, got ${fields.length}`;
  }
  const bounds: [string, number, number][] = [...(withSeconds ? [['second', 0, 59] as [string, number, number]] : []), ['minute', 0, 59], ['hour', 0, 23], ['day of month', 1, 31], ['month', 1, 12], ['day of week', 0, 7]];
  for (let i = 0; i < fields.length; i++) {
    const [name, lo, hi] = bounds[i];
    for (const part of fields[i].split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      if (!m) return `${name} field ${JSON.stringify(fields[i])} is not a number, range, list or step`;
      for (const n of [m[2], m[3]].filter((x) => x !== undefined).map(Number)) if (n < lo || n > hi) return `${name} ${n} is outside ${lo}-${hi}`;
      if (m[4] !== undefined && Number(m[4]) === 0) return `${name} step must be at least 1`;
    }
  }
  return undefined;
}

/**
 * A command on a cron schedule, run by Ofelia, a scheduler that runs as a container and reads its
 * jobs from container labels. The job's own container stays idle with the job's image, settings
 * and secret files; at each tick Ofelia execs the command in it, so a scheduled run sees exactly
 * what a one-shot job would. One Ofelia per host, limited to this environment's containers.
 */
export class ScheduledJob extends Workload {
  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    const p = withDefaults(ScheduledJobSchema, props);
    // what runs at each tick: the entrypoint (when given) and the command, as `docker run` would
    const run = [...(p.entrypoint ?? []), ...p.command];
    super(scope, id, 'scheduled-job', {
      ...p,
      replicas: 1,
      entrypoint: ['sleep'],
      command: ['infinity'],
      labels: {
        ...p.labels,
        'ofelia.enabled': 'true',
        // Ofelia's cron has a seconds field first: 0 unless the schedule gives one
        [`ofelia.job-exec.${id}.schedule`]: withSecondsField(p.schedule),
        [`ofelia.job-exec.${id}.command`]: run.map(shellQuote).join(' '),
        [`ofelia.job-exec.${id}.no-overlap`]: 'true',
      },
    }, { schedule: { cron: p.schedule.trim(), command: run } });
    // Kubernetes runs schedules as CronJobs; Docker hosts need the scheduler container
    if (EnvironmentStack.of(this).platform === 'docker') schedulerFor(EnvironmentStack.of(this), p.host, props.schedulerImage ?? SCHEDULER_IMAGE);
  }
}

/** The schedule as Ofelia reads it: six fields, seconds first (0 when the schedule has five). */
export function withSecondsField(schedule: string): string {
  const fields = schedule.trim().split(/\s+/);
  return fields.length === 6 ? fields.join(' ') : `0 ${fields.join(' ')}`;
}

/** The host's Ofelia container, created once. */
function schedulerFor(stack: EnvironmentStack, host: string, image: string): Service {
  const id = `scheduler-${host}`;
  const existing = stack.node.tryFindChild(id);
  if (existing) return (existing as Construct & { service: Service }).service;
  const holder = new Construct(stack, id) as Construct & { service: Service };
  holder.service = new Service(holder, 'Default', {
    name: id,
    host,
    kind: 'scheduler',
    image: parseImage(image),
    command: ['daemon', '--docker', `--docker-filter=label=stackyard.environment=${stack.environmentName}`],
  });
  const url = stack.hosts.get(host)?.docker ?? '';
  holder.service.addBindMount(url.startsWith('unix://') ? url.slice('unix://'.length) : '/var/run/docker.sock', '/var/run/docker.sock', true);
  return holder.service;
}

/** The schedule field of a kind is a valid five-field cron (six with seconds first on Docker hosts). */
export function checkSchedule(svc: { readonly schedule: string }, ctx: CheckContext): void {
  const problem = cronProblem(svc.schedule, { seconds: ctx.env.platform === 'docker' });
  if (problem) ctx.report(['schedule'], `invalid cron expression ${JSON.stringify(svc.schedule)}: ${problem}`);
}

export const scheduledJobKind = defineKind({
  kind: 'scheduled-job',
  schema: ScheduledJobSchema,
  check: checkSchedule,
  build: (svc, ctx) => single(new ScheduledJob(ctx.stack, ctx.name, { ...workloadProps(svc, ctx), schedulerImage: ctx.env.scheduler.image })),
});
