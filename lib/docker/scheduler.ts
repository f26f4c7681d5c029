/**
 * Schedules on Docker hosts, the Docker target's own knowledge: Docker has no cron, so Ofelia, a
 * scheduler that runs as a container and reads its jobs from container labels, runs them. A
 * scheduled Service's container stays idle (`sleep infinity`) with the job's image, settings and
 * secret files, and the host's Ofelia (one per host that has a schedule, limited to this
 * environment's containers) `exec`s the job's command in it on the cron, without overlap: a
 * scheduled run sees exactly what a one-shot job would. The model only says `schedule`; Kubernetes
 * renders the same Service as a CronJob.
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { z } from 'zod';
import { ConfigError } from '../config/errors';
import type { Environment } from '../environment';
import { parseImage, Service } from '../service';

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

/**
 * One word of a command as Ofelia splits its `command` label (github.com/gobs/args, Ofelia
 * v0.3.x): words are split on spaces; a word that begins with a quote runs to the matching quote;
 * a backslash escapes the next character, inside quotes too. So a plain word stays bare and any
 * other is double-quoted with `\` and `"` escaped. (A POSIX shell's `'\''` is not understood:
 * the quote ends the word there, which split the backup's `find -name` pattern off, found on the
 * fleet with the real Ofelia.)
 */
export function ofeliaWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/[\\"]/g, '\\$&')}"`;
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
      [`ofelia.job-exec.${id}.command`]: s.schedule.command.map(ofeliaWord).join(' '),
      [`ofelia.job-exec.${id}.no-overlap`]: 'true',
    },
  };
}

/** The scheduler's label that carries jobsDigest. */
export const JOBS_LABEL = 'stackyard.scheduler.jobs';

/**
 * A digest of the jobs one host's Ofelia runs (each job's labels). Ofelia reads the job labels
 * once, when it starts (v0.3.13 has no watch), so a job whose command or schedule changed would
 * keep running the old one: the digest, a label of the scheduler's container, changes with them
 * and the scheduler is replaced too (found on the fleet, where a corrected command kept failing).
 */
export function jobsDigest(services: readonly Service[]): string {
  const jobs = services.map((s) => JSON.stringify([s.serviceName, scheduledContainer(s)?.labels])).sort();
  return createHash('sha256').update(jobs.join('\n')).digest('hex').slice(0, 16);
}

/** The construct that holds a host's scheduler, so a second call knows its own from a user's service. */
class SchedulerHolder extends Construct {}

/**
 * The Ofelia Service of each host that runs a scheduled Service, added to the model once: by
 * validate() (lib/build.ts), so the model rules check it like any other Service, and again at render
 * for a model that was never validated. A service of the user's named `scheduler-<host>` takes that
 * name from the scheduler: reported (a wiring problem, or an error once the model was validated),
 * never skipped in silence.
 */
export function addSchedulers(model: Environment): void {
  const hosts = [...new Set(model.services.filter((s) => s.schedule).map((s) => s.host))];
  for (const host of hosts) {
    const id = `scheduler-${host}`;
    const existing = model.node.tryFindChild(id);
    if (existing instanceof SchedulerHolder) continue;
    const taken = model.services.find((s) => s.serviceName === id) ?? (existing ? model.services.find((s) => s.node.path.startsWith(existing.node.path + '/')) : undefined);
    if (existing || taken) {
      const problem = {
        ...(taken ? taken.origin.locate('') : { file: `construct ${existing!.node.path}`, line: 0, col: 0, path: '' }),
        message: `the name ${id} belongs to the scheduler of host ${host} (the Ofelia container that runs that host's schedules); rename this service`,
      };
      if (model.validated) throw new ConfigError([problem]);
      model.wiringProblems.push(problem);
      continue;
    }
    const holder = new SchedulerHolder(model, id);
    const service = new Service(holder, 'Default', {
      name: id,
      host,
      kind: 'scheduler',
      image: parseImage(model.schedulerImage ?? SCHEDULER_IMAGE),
      command: ['daemon', '--docker', `--docker-filter=label=stackyard.environment=${model.environmentName}`],
      labels: { [JOBS_LABEL]: jobsDigest(model.services.filter((s) => s.schedule && s.host === host)) },
    });
    const url = model.hosts.get(host)?.docker ?? '';
    service.addBindMount(url.startsWith('unix://') ? url.slice('unix://'.length) : '/var/run/docker.sock', '/var/run/docker.sock', true);
  }
}
