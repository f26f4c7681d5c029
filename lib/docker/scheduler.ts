/**
 * Schedules on Docker hosts, the Docker target's own knowledge: Docker has no cron, so Ofelia, a
 * scheduler that runs as a container and reads its jobs from container labels, runs them. A
 * scheduled Service's container stays idle (`sleep infinity`) with the job's image, settings and
 * secret files, and the host's Ofelia (one per host that has a schedule, limited to this
 * environment's containers) `exec`s the job's command in it on the cron, without overlap: a
 * scheduled run sees exactly what a one-shot job would. The model only says `schedule`; Kubernetes
 * renders the same Service as a CronJob.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import type { EnvironmentStack } from '../environment-stack';
import { parseImage, Service } from '../service';
import { shellQuote } from '../values';

/** The default Ofelia image of the hosts' scheduler. */
export const SCHEDULER_IMAGE = 'mcuadros/ofelia:v0.3.13';

/** The top-level `scheduler:` of an environment file: the hosts' Ofelia, shared by every scheduled kind. */
export const SchedulerSchema = z.strictObject({
  image: z.string().regex(/^[^\s:@]+(:\d+)?[^\s:@]*:[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'an image with its tag, e.g. registry.example.com/ofelia:v0.3.13').default(SCHEDULER_IMAGE)
    .describe('Ofelia image with its tag, e.g. a copy in your own registry.'),
}).default({ image: SCHEDULER_IMAGE }).describe('The scheduler of scheduled jobs on Docker hosts (one Ofelia container per host that runs one).');

/** The schedule as Ofelia reads it: six fields, seconds first (0 when the schedule has five). */
export function withSecondsField(schedule: string): string {
  const fields = schedule.trim().split(/\s+/);
  return fields.length === 6 ? fields.join(' ') : `0 ${fields.join(' ')}`;
}

/** What a scheduled Service's container runs and carries on a Docker host: an idle process, and the job as Ofelia labels. */
export function scheduledContainer(s: Service): { entrypoint: string[]; command: string[]; labels: Record<string, string> } | undefined {
  if (!s.schedule) return undefined;
  const id = s.serviceName;
  return {
    entrypoint: ['sleep'],
    command: ['infinity'],
    labels: {
      'ofelia.enabled': 'true',
      // Ofelia's cron has a seconds field first: 0 unless the schedule gives one
      [`ofelia.job-exec.${id}.schedule`]: withSecondsField(s.schedule.cron),
      [`ofelia.job-exec.${id}.command`]: s.schedule.command.map(shellQuote).join(' '),
      [`ofelia.job-exec.${id}.no-overlap`]: 'true',
    },
  };
}

/**
 * The Ofelia Service of each host that runs a scheduled Service, added to the model once (before
 * the model rules run, so they check it like any other Service; again at render it finds them).
 */
export function addSchedulers(stack: EnvironmentStack): void {
  const hosts = [...new Set(stack.services.filter((s) => s.schedule).map((s) => s.host))];
  for (const host of hosts) {
    const id = `scheduler-${host}`;
    if (stack.node.tryFindChild(id)) continue;
    const holder = new Construct(stack, id);
    const service = new Service(holder, 'Default', {
      name: id,
      host,
      kind: 'scheduler',
      image: parseImage(stack.schedulerImage ?? SCHEDULER_IMAGE),
      command: ['daemon', '--docker', `--docker-filter=label=stackyard.environment=${stack.environmentName}`],
    });
    const url = stack.hosts.get(host)?.docker ?? '';
    service.addBindMount(url.startsWith('unix://') ? url.slice('unix://'.length) : '/var/run/docker.sock', '/var/run/docker.sock', true);
  }
}
