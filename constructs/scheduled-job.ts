import type { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { defineKind, single, withDefaults, type CheckContext } from '../lib/kind';
import { Workload, workloadProps, type WorkloadProps } from '../lib/workload';

export const ScheduledJobSchema = z.strictObject({
  kind: f.kind('scheduled-job', 'A command on a five-field cron (Ofelia on Docker hosts, a CronJob on Kubernetes).'),
  ...f.common,
  ...f.image,
  command: z.array(z.string()).min(1).describe('The command to run on schedule, e.g. [bash, scripts/fetch_contracts.sh] (after `entrypoint`, when given).'),
  schedule: z.string().min(1).describe('Five-field cron (minute hour day month weekday), e.g. "0 0,6,12,18 * * *" (every 6 hours); on Docker hosts six fields give seconds first, e.g. "*/20 * * * * *".'),
});

export type ScheduledJobProps = WorkloadProps<typeof ScheduledJobSchema>;

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
 * A command on a cron schedule: the model says `schedule` (the cron and what runs: the entrypoint,
 * when given, and the command, as `docker run` would); each target runs it its own way (Docker
 * hosts: Ofelia, lib/docker/scheduler.ts; Kubernetes: a CronJob).
 */
export class ScheduledJob extends Workload {
  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    const p = withDefaults(ScheduledJobSchema, props);
    super(scope, id, 'scheduled-job', { ...p, replicas: 1 }, { schedule: { cron: p.schedule.trim(), command: [...(p.entrypoint ?? []), ...p.command] } });
  }
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
  build: (svc, ctx) => single(new ScheduledJob(ctx.stack, ctx.name, workloadProps(svc, ctx))),
});
