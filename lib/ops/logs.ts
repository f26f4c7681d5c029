/**
 * `stackyard logs <env> <service>`: the logs of every replica of a service on every host, merged
 * and prefixed with host and replica as `docker compose logs` does (`core/backend-1 | ...`).
 * Without -f the lines of all replicas are merged in time order (docker's timestamps); with -f
 * each line is printed as it arrives.
 */
import type { Environment } from '../environment';
import { CliError } from '../cli/exit-codes';
import { ENV_LABEL } from '../docker/render';
import type { Service } from '../service';
import { HostError, withHosts, type HostConnection } from './docker';
import { usedHosts } from './model';

export interface LogsOptions {
  readonly follow?: boolean;
  readonly since?: string;
  readonly tail?: string;
  readonly timestamps?: boolean;
}

/** The services a name selects: the service itself, or every per-host service of a worker pool. */
export function servicesNamed(stack: Environment, name: string): Service[] {
  const exact = stack.services.filter((s) => s.serviceName === name);
  if (exact.length) return exact;
  // else the services the construct of that name made (a worker pool's, one per host; any other
  // construct has a service of its own name, found above)
  const pool = stack.services.filter((s) => s.node.scope!.node.id === name);
  if (pool.length) return pool;
  // by construct: a service's own name, a worker pool's once
  const known = [...new Set(stack.services.map((s) => s.node.scope!.node.id))].sort();
  throw new CliError(`${stack.environmentName} has no service ${JSON.stringify(name)}; its services: ${known.join(', ')}`);
}

/** docker logs accepts a duration (10m, 1h30m), an RFC 3339 date or a Unix timestamp. */
export function validSince(since: string): boolean {
  return /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(since)
    || /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(since)
    || /^\d+(\.\d+)?$/.test(since);
}

export function validTail(tail: string): boolean {
  return tail === 'all' || /^\d+$/.test(tail);
}

/** `core/backend-1`: the host, and the container name without the environment prefix. */
export function prefixOf(env: string, host: string, container: string): string {
  return `${host}/${container.startsWith(`${env}-`) ? container.slice(env.length + 1) : container}`;
}

/** Splits chunks into lines; keeps a partial last line until the next chunk or the end. */
export class LineSplitter {
  private rest = '';
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop()!; // split gives at least one element
    return lines.map((l) => l.replace(/\r$/, ''));
  }
  end(): string[] {
    const r = this.rest;
    this.rest = '';
    return r ? [r] : [];
  }
}

export interface LogLine {
  readonly prefix: string;
  /** docker's RFC 3339 timestamp with nanoseconds (trailing zeros trimmed), or '' when absent. */
  readonly timestamp: string;
  readonly text: string;
}

/** Splits `2024-05-01T10:00:00.5Z message` (docker logs --timestamps) into its timestamp and text. */
export function parseTimestamped(line: string): { timestamp: string; text: string } {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) ?(.*)$/s.exec(line);
  return m ? { timestamp: m[1], text: m[2] } : { timestamp: '', text: line };
}

/**
 * A key that sorts RFC 3339 UTC timestamps in time order: without the `Z`, which sorts after every
 * digit (`…00.1234Z` would come after `…00.12345678Z`); docker trims the fraction's trailing zeros,
 * so the digits that are left compare as text.
 */
export function timestampKey(ts: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(ts);
  if (!m) return ts;
  return `${m[1]}.${m[2] ?? ''}`;
}

/** Merges the lines of several containers in time order; lines with equal times keep their order (sort is stable). */
export function mergeByTime(lines: readonly LogLine[]): LogLine[] {
  return lines
    .map((l) => ({ l, k: timestampKey(l.timestamp) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((x) => x.l);
}

/** `core/backend-1  | text`, prefixes padded to the widest (and the timestamp kept when asked). */
export function formatLine(line: LogLine, width: number, timestamps: boolean): string {
  return `${line.prefix.padEnd(width)} | ${timestamps && line.timestamp ? `${line.timestamp} ` : ''}${line.text}`;
}

export function dockerLogsArgs(container: string, o: LogsOptions): string[] {
  return ['logs', '--timestamps', ...(o.follow ? ['--follow'] : []), ...(o.since ? ['--since', o.since] : []), ...(o.tail ? ['--tail', o.tail] : []), container];
}

interface Source { readonly conn: HostConnection; readonly container: string; readonly prefix: string }

async function sources(stack: Environment, services: readonly Service[], conns: Map<string, HostConnection>): Promise<Source[]> {
  const env = stack.environmentName;
  const out: Source[] = [];
  for (const host of [...new Set(services.map((s) => s.host))].sort()) {
    const conn = conns.get(host)!;
    for (const s of services.filter((x) => x.host === host)) {
      const r = await conn.run(['ps', '-a', '--format', '{{.Names}}', '--filter', `label=${ENV_LABEL}=${env}`, '--filter', `label=stackyard.service=${s.serviceName}`]);
      if (r.code !== 0) throw new HostError(conn.host, r.stderr);
      for (const name of r.stdout.split('\n').filter(Boolean).sort(byReplica)) out.push({ conn, container: name, prefix: prefixOf(env, host, name) });
    }
  }
  return out;
}

const byReplica = (a: string, b: string) => {
  const n = (s: string) => Number(/-(\d+)$/.exec(s)?.[1] ?? 0);
  return a.replace(/-\d+$/, '').localeCompare(b.replace(/-\d+$/, '')) || n(a) - n(b);
};

/** Runs logs; resolves with the exit code. `write` gets whole lines. */
export async function runLogs(stack: Environment, serviceName: string, o: LogsOptions, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`), onStart?: (stop: () => void) => void): Promise<number> {
  if (o.since !== undefined && !validSince(o.since)) throw new CliError(`--since ${JSON.stringify(o.since)}: expected a duration such as 10m or 1h30m, an RFC 3339 date, or a Unix timestamp`, 2);
  if (o.tail !== undefined && !validTail(o.tail)) throw new CliError(`--tail ${JSON.stringify(o.tail)}: expected a number of lines or "all"`, 2);
  const services = servicesNamed(stack, serviceName);
  const hosts = usedHosts(stack).filter((h) => services.some((s) => s.host === h.name));
  return withHosts(hosts, async (conns) => {
    const list = await sources(stack, services, conns);
    if (!list.length) throw new CliError(`no container of ${serviceName} exists on ${hosts.map((h) => h.name).join(', ')}; deploy ${stack.environmentName} first`);
    const width = Math.max(...list.map((s) => s.prefix.length));
    if (!o.follow) {
      const results = await Promise.all(list.map(async (s) => ({ s, r: await s.conn.run(dockerLogsArgs(s.container, o)) })));
      const lines: LogLine[] = [];
      let failed = false;
      for (const { s, r } of results) {
        if (r.code !== 0) {
          failed = true;
          process.stderr.write(`stackyard: docker logs ${s.container} on ${s.conn.host.name} failed: ${r.stderr.trim()}\n`);
          continue;
        }
        // stdout and stderr of the container, each already in order; merged by time below
        for (const text of [r.stdout, r.stderr]) {
          const split = new LineSplitter();
          for (const l of [...split.push(text), ...split.end()]) lines.push({ prefix: s.prefix, ...parseTimestamped(l) });
        }
      }
      for (const l of mergeByTime(lines)) write(formatLine(l, width, o.timestamps === true));
      return failed ? 1 : 0;
    }
    return new Promise<number>((resolve) => {
      let open = list.length;
      let failed = false;
      const children = list.map((s) => {
        const child = s.conn.spawn(dockerLogsArgs(s.container, o), ['ignore', 'pipe', 'pipe']);
        for (const stream of [child.stdout!, child.stderr!]) {
          const split = new LineSplitter();
          stream.setEncoding('utf8');
          stream.on('data', (d: string) => { for (const l of split.push(d)) write(formatLine({ prefix: s.prefix, ...parseTimestamped(l) }, width, o.timestamps === true)); });
          stream.on('end', () => { for (const l of split.end()) write(formatLine({ prefix: s.prefix, ...parseTimestamped(l) }, width, o.timestamps === true)); });
        }
        child.on('close', (code) => {
          if (code) failed = true;
          if (--open === 0) resolve(failed ? 1 : 0);
        });
        return child;
      });
      onStart?.(() => { for (const c of children) c.kill('SIGTERM'); });
    });
  });
}
