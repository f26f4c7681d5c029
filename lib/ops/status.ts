/**
 * `stackyard status <env>`: what runs on each host, compared with the environment file. Every
 * container the model expects (`<env>-<service>-<n>` on its host) is looked up on the hosts, and
 * every container labelled with the environment that the model does not expect is listed too.
 * The decisions (what counts as a problem) are pure functions over `docker inspect` data.
 */
import type { Environment } from '../environment';
import { ENV_LABEL } from '../docker/render';
import { HostError, withHosts, type HostConnection } from './docker';
import { expectedContainers, replicaName, usedHosts, type ExpectedContainer } from './model';

/** The fields of `docker container inspect` status reads. */
export interface InspectedContainer {
  readonly Id: string;
  readonly Name: string;
  readonly Image: string;
  readonly RestartCount?: number;
  readonly Config?: { readonly Image?: string; readonly Labels?: Readonly<Record<string, string>> | null };
  readonly State: {
    readonly Status: string;
    readonly ExitCode?: number;
    readonly StartedAt?: string;
    readonly FinishedAt?: string;
    readonly Health?: { readonly Status: string } | null;
  };
}

export interface ObservedContainer {
  readonly host: string;
  readonly name: string;
  readonly service?: string;
  readonly replica?: number;
  readonly kind?: string;
  /** repository:tag of the image (from the image's tags on the host), or its short id. */
  readonly image: string;
  /** created, running, restarting, exited, paused, dead. */
  readonly state: string;
  /** healthy, unhealthy, starting; absent without a healthcheck. */
  readonly health?: string;
  readonly exitCode: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly restarts: number;
  /** A maintenance page container (`stackyard maintenance on`), not part of the model. */
  readonly maintenance: boolean;
}

export interface StatusRow {
  readonly host: string;
  readonly service: string;
  readonly replica: number | null;
  readonly name: string;
  readonly kind: string | null;
  readonly image: string | null;
  /** The container's state, or `missing` / `unknown` (host unreachable). */
  readonly state: string;
  readonly health: string | null;
  readonly exitCode: number | null;
  /** Seconds since it started (running) or since it finished (exited). */
  readonly uptimeSeconds: number | null;
  readonly restarts: number | null;
  /** false when this row fails the status. */
  readonly ok: boolean;
  /** What is wrong or notable, in words. */
  readonly note: string | null;
}

export interface HostStatus {
  readonly name: string;
  readonly docker: string;
  readonly reachable: boolean;
  readonly error: string | null;
  readonly containers: readonly StatusRow[];
}

export interface StatusReport {
  readonly environment: string;
  readonly ok: boolean;
  readonly hosts: readonly HostStatus[];
  /** One sentence per failing row or host; empty when ok. */
  readonly problems: readonly string[];
  /** Notable but not failing: containers the environment file does not know, maintenance pages. */
  readonly notes: readonly string[];
}

/** Short id of an image reference `sha256:...`. */
function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * The observed view of one host's containers. `imageTags` maps image ids to their repo:tags on
 * the host; a container shows the tag matching the repository the model expects, else the first.
 */
export function observe(host: string, inspected: readonly InspectedContainer[], imageTags: ReadonlyMap<string, readonly string[]>, wanted: (name: string) => string | undefined = () => undefined): ObservedContainer[] {
  return inspected.map((c) => {
    const labels = c.Config?.Labels ?? {};
    const name = c.Name.replace(/^\//, '');
    const tags = imageTags.get(c.Image) ?? [];
    const repo = wanted(name);
    const configured = c.Config?.Image && !c.Config.Image.startsWith('sha256:') ? c.Config.Image : undefined;
    const image = tags.find((t) => repo !== undefined && (t === repo || t.startsWith(`${repo}:`))) ?? configured ?? tags[0] ?? shortId(c.Image);
    const replica = labels['stackyard.replica'] ? Number(labels['stackyard.replica']) : undefined;
    return {
      host,
      name,
      service: labels['stackyard.service'],
      replica: Number.isFinite(replica) ? replica : undefined,
      kind: labels['stackyard.kind'],
      image,
      state: c.State.Status,
      health: c.State.Health?.Status || undefined,
      exitCode: c.State.ExitCode ?? 0,
      startedAt: c.State.StartedAt,
      finishedAt: c.State.FinishedAt,
      restarts: c.RestartCount ?? 0,
      maintenance: labels['stackyard.maintenance'] !== undefined,
    };
  });
}

const secondsSince = (iso: string | undefined, now: number): number | null => {
  if (!iso || iso.startsWith('0001-')) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, Math.round((now - t) / 1000));
};

/** Whether an observed container is what the model expects of it, and why not. */
export function judge(e: ExpectedContainer, o: ObservedContainer): { ok: boolean; note: string | null } {
  if (e.oneShot) {
    if (o.state === 'exited') return o.exitCode === 0 ? { ok: true, note: 'completed' } : { ok: false, note: `job exited ${o.exitCode}` };
    if (o.state === 'running') return { ok: true, note: 'job running' };
    return { ok: false, note: `job ${o.state}` };
  }
  if (o.state !== 'running') return { ok: false, note: o.state === 'exited' ? `exited ${o.exitCode}` : o.state };
  if (e.healthchecked && o.health !== 'healthy') return { ok: false, note: o.health ? `health ${o.health}` : 'no health reported' };
  return { ok: true, note: null };
}

/**
 * Expected vs observed. `observed` holds, per reachable host, every container labelled with the
 * environment; `unreachable` maps a host that did not answer to the reason.
 */
export function compareStatus(input: {
  readonly environment: string;
  readonly hosts: readonly { readonly name: string; readonly docker: string }[];
  readonly expected: readonly ExpectedContainer[];
  readonly observed: ReadonlyMap<string, readonly ObservedContainer[]>;
  readonly unreachable: ReadonlyMap<string, string>;
  readonly now: number;
}): StatusReport {
  const problems: string[] = [];
  const notes: string[] = [];
  const all = [...input.observed.values()].flat();
  const claimed = new Set<ObservedContainer>();
  const hosts: HostStatus[] = input.hosts.map((h) => {
    const error = input.unreachable.get(h.name) ?? null;
    if (error) problems.push(`host ${h.name} (${h.docker}) did not answer: ${error}`);
    const rows: StatusRow[] = [];
    for (const e of input.expected.filter((x) => x.host === h.name)) {
      const base = { host: h.name, service: e.service, replica: e.replica, name: e.name, kind: e.kind };
      if (error) {
        rows.push({ ...base, image: null, state: 'unknown', health: null, exitCode: null, uptimeSeconds: null, restarts: null, ok: false, note: 'host did not answer' });
        continue;
      }
      // by replica name (a start-first replica's container name carries its revision); while an
      // update runs two can exist: the running one speaks for the replica
      const mine = (input.observed.get(h.name) ?? []).filter((o) => replicaName(o.name) === e.name && !claimed.has(o));
      const here = mine.find((o) => o.state === 'running') ?? mine[0];
      if (!here) {
        const elsewhere = all.find((o) => replicaName(o.name) === e.name);
        const note = elsewhere ? `a container of that name runs on ${elsewhere.host}` : null;
        problems.push(`${e.name} is missing on ${h.name}${elsewhere ? ` (found on ${elsewhere.host} instead)` : ''}`);
        rows.push({ ...base, image: null, state: 'missing', health: null, exitCode: null, uptimeSeconds: null, restarts: null, ok: false, note });
        continue;
      }
      claimed.add(here);
      const verdict = judge(e, here);
      if (!verdict.ok) problems.push(`${here.name} on ${h.name}: ${verdict.note}`);
      rows.push({
        ...base,
        name: here.name,
        image: here.image,
        state: here.state,
        health: here.health ?? null,
        exitCode: here.state === 'running' ? null : here.exitCode,
        uptimeSeconds: secondsSince(here.state === 'running' ? here.startedAt : here.finishedAt, input.now),
        restarts: here.restarts,
        ok: verdict.ok,
        note: verdict.note,
      });
    }
    for (const o of input.observed.get(h.name) ?? []) {
      if (claimed.has(o)) continue;
      const note = o.maintenance ? 'maintenance page (stackyard maintenance off removes it)' : 'not in the environment file (the next deploy removes it)';
      notes.push(`${o.name} on ${h.name}: ${note}`);
      rows.push({
        host: h.name, service: o.service ?? '-', replica: o.replica ?? null, name: o.name, kind: o.kind ?? null, image: o.image,
        state: o.state, health: o.health ?? null, exitCode: o.state === 'running' ? null : o.exitCode,
        uptimeSeconds: secondsSince(o.state === 'running' ? o.startedAt : o.finishedAt, input.now), restarts: o.restarts, ok: true, note,
      });
    }
    return { name: h.name, docker: h.docker, reachable: error === null, error, containers: rows };
  });
  return { environment: input.environment, ok: problems.length === 0, hosts, problems, notes };
}

/** 45s, 12m, 3h04m, 2d03h. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** Left-aligned columns, two spaces apart. */
export function table(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}

export function formatStatus(report: StatusReport): string[] {
  const out: string[] = [];
  for (const h of report.hosts) {
    out.push(`host ${h.name} (${h.docker})${h.error ? `: did not answer: ${h.error}` : ''}`);
    if (!h.containers.length) {
      out.push('  (nothing expected or running here)');
      continue;
    }
    const head = ['', 'SERVICE', 'REPLICA', 'IMAGE', 'STATE', 'HEALTH', 'UPTIME', 'RESTARTS', 'NOTE'];
    const rows = h.containers.map((c) => [
      c.ok ? ' ' : '✗',
      c.service,
      c.replica === null ? '-' : String(c.replica),
      c.image ?? '-',
      c.state === 'exited' ? `exited(${c.exitCode})` : c.state,
      c.health ?? '-',
      formatDuration(c.uptimeSeconds),
      c.restarts === null ? '-' : String(c.restarts),
      c.note ?? '',
    ]);
    out.push(...table([head, ...rows], '  '));
  }
  out.push('');
  if (report.ok) {
    const n = report.hosts.reduce((k, h) => k + h.containers.filter((c) => c.state !== 'missing').length, 0);
    out.push(`${report.environment}: all ${n} container(s) as the environment file says`);
  } else {
    out.push(`${report.environment}: ${report.problems.length} problem(s):`);
    for (const p of report.problems) out.push(`  - ${p}`);
  }
  for (const n of report.notes) out.push(`  note: ${n}`);
  return out;
}

/** Every container labelled with the environment on one host, observed. */
export async function observeHost(env: string, c: HostConnection, expected: readonly ExpectedContainer[]): Promise<ObservedContainer[]> {
  const inspected = await c.inspect<InspectedContainer>(await c.containerIds(`${ENV_LABEL}=${env}`));
  const imageIds = [...new Set(inspected.map((x) => x.Image))];
  const tags = new Map<string, readonly string[]>();
  if (imageIds.length) {
    // json, not `join`: Docker 20.10's template refuses `join .RepoTags` ("expected []string")
    const r = await c.run(['image', 'inspect', '--format', '{{.Id}} {{json .RepoTags}}', ...imageIds]);
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const space = line.indexOf(' ');
      try {
        tags.set(line.slice(0, space), (JSON.parse(line.slice(space + 1)) as string[] | null) ?? []);
      } catch {
        // an unreadable line: the image shows by id
      }
    }
  }
  const repoOf = new Map(expected.map((e) => [e.name, e.image.replace(/:[^:/]*$/, '')]));
  return observe(c.host.name, inspected, tags, (n) => repoOf.get(replicaName(n)));
}

export async function collectStatus(stack: Environment, now = () => Date.now()): Promise<StatusReport> {
  const hosts = usedHosts(stack);
  const expected = expectedContainers(stack);
  return withHosts(hosts, async (conns) => {
    const observed = new Map<string, ObservedContainer[]>();
    const unreachable = new Map<string, string>();
    await Promise.all(hosts.map(async (h) => {
      try {
        observed.set(h.name, await observeHost(stack.environmentName, conns.get(h.name)!, expected));
      } catch (e) {
        if (!(e instanceof HostError)) throw e;
        unreachable.set(h.name, e.message.replace(/^.*did not answer: /, ''));
      }
    }));
    return compareStatus({ environment: stack.environmentName, hosts, expected, observed, unreachable, now: now() });
  });
}
