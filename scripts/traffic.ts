/**
 * Steady HTTP traffic through the proxy, for the end-to-end suite and `npm run bench:rolling`:
 * `clients` loops, each alternating GET and POST at a fixed pace, every request with its own
 * connection (no keep-alive: a replica that stops must be noticed on the next request), each
 * bounded in time. A request fails when it errors, times out or answers other than 200 with
 * the demo app's JSON.
 *
 * The clients share their process's event loop: while the process blocks (a spawnSync, a long
 * synchronous step), no reply is read, and when it resumes Node runs expired timers before it
 * reads sockets, so a request the server answered in time is counted as timed out. The clients
 * therefore watch their own loop: `stalledMs` is the longest it was blocked, and a failure during
 * which it was blocked for `STALL_MS` or more says so (`clientStalls` counts them). Such figures
 * measure the client, not the deploy: a caller must not block while the clients run.
 */
import * as http from 'node:http';

export interface TrafficOptions {
  /** Where the proxy listens. @default 127.0.0.1 */
  readonly address?: string;
  readonly port: number;
  /** Host header the proxy routes by. @default api.localhost */
  readonly host?: string;
  /** @default /api/ */
  readonly path?: string;
  /** Concurrent clients (one per replica of the routed service). @default 2 */
  readonly clients?: number;
  /** Requests per second, all clients together. @default 24 */
  readonly rate?: number;
  /** Seconds a request may take. @default 5 */
  readonly timeoutSeconds?: number;
  /** Seconds the app holds each request (?delay=), so some are in flight when a replica stops. @default 0.05 */
  readonly delaySeconds?: number;
  /** Stops by itself after this many seconds. @default 900 */
  readonly maxSeconds?: number;
}

export interface TrafficCounts {
  sent: number;
  failed: number;
  /** Replies per app version (APP_VERSION). */
  versions: Record<string, number>;
  /** The first few failures: method, status or error. */
  failures: string[];
  /** The longest a request took, failed or not (ms): a stall the failure count does not show. */
  slowestMs: number;
  /** The longest the clients' own event loop was blocked (ms), measured by a timer's lateness. */
  stalledMs: number;
  /** Failures during which the clients' own loop was blocked for STALL_MS or more (also in `failed`). */
  clientStalls: number;
}

/** A block of the clients' own loop this long makes a failure the client's doing, not the server's. */
export const STALL_MS = 1000;
/** How often the loop watch ticks (ms). */
const WATCH_MS = 50;

/**
 * Watches the event loop of this process: a timer every WATCH_MS that fires late by more than
 * that was blocked. `longest` is the worst block, `blockedDuring(from, to)` the longest block that
 * overlapped a time span.
 */
export function loopWatch(): { longest: () => number; blockedDuring: (from: number, to: number) => number; stop: () => void } {
  const blocks: { from: number; to: number }[] = [];
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const late = now - last - WATCH_MS;
    if (late > WATCH_MS) blocks.push({ from: now - late, to: now });
    last = now;
  }, WATCH_MS);
  // a block still going on when asked (the timer has not fired yet) counts too
  const current = () => {
    const late = Date.now() - last - WATCH_MS;
    return late > WATCH_MS ? [{ from: Date.now() - late, to: Date.now() }] : [];
  };
  return {
    longest: () => Math.max(0, ...[...blocks, ...current()].map((b) => b.to - b.from)),
    blockedDuring: (from, to) => Math.max(0, ...[...blocks, ...current()].filter((b) => b.from < to && b.to > from).map((b) => b.to - b.from)),
    stop: () => clearInterval(timer),
  };
}

export interface Reply { ok: boolean; status?: number; body?: { replica?: string; version?: string }; error?: string }

/** One request through the proxy. */
export function request(o: { address?: string; port: number; host?: string; path?: string; method?: 'GET' | 'POST'; timeoutMs?: number }): Promise<Reply> {
  const method = o.method ?? 'GET';
  const payload = method === 'POST' ? JSON.stringify({ at: Date.now() }) : undefined;
  return new Promise((resolve) => {
    const req = http.request({
      host: o.address ?? '127.0.0.1', port: o.port, path: o.path ?? '/api/', method, agent: false, timeout: o.timeoutMs ?? 3000,
      headers: { Host: o.host ?? 'api.localhost', Connection: 'close', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => {
        try {
          resolve({ ok: res.statusCode === 200, status: res.statusCode, body: JSON.parse(data) });
        } catch {
          resolve({ ok: false, status: res.statusCode, error: 'not JSON' });
        }
      });
      res.on('error', (e) => resolve({ ok: false, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ ok: false, error: e.message }));
    req.end(payload);
  });
}

/** Starts the clients; `stop()` ends them and returns the counts. */
export function steadyTraffic(o: TrafficOptions) {
  const clients = o.clients ?? 2;
  const interval = (1000 * clients) / (o.rate ?? 24);
  const delay = o.delaySeconds ?? 0.05;
  const until = Date.now() + (o.maxSeconds ?? 900) * 1000;
  let stop = false;
  const counts: TrafficCounts = { sent: 0, failed: 0, versions: {}, failures: [], slowestMs: 0, stalledMs: 0, clientStalls: 0 };
  const watch = loopWatch();
  const client = async (n: number) => {
    let i = n;
    while (!stop && Date.now() < until) {
      const started = Date.now();
      const method = i++ % 2 === 0 ? 'GET' : 'POST';
      const r = await request({ address: o.address, port: o.port, host: o.host, path: `${o.path ?? '/api/'}?delay=${delay}`, method, timeoutMs: (o.timeoutSeconds ?? 5) * 1000 });
      counts.sent++;
      counts.slowestMs = Math.max(counts.slowestMs, Date.now() - started);
      if (r.ok && r.body?.version !== undefined) counts.versions[r.body.version] = (counts.versions[r.body.version] ?? 0) + 1;
      else {
        counts.failed++;
        const blocked = watch.blockedDuring(started, Date.now());
        if (blocked >= STALL_MS) counts.clientStalls++;
        const why = blocked >= STALL_MS ? ` (the client itself was blocked ${(blocked / 1000).toFixed(1)} s meanwhile)` : '';
        if (counts.failures.length < 10) counts.failures.push(`${new Date().toISOString()} ${method} ${r.status ?? ''} ${r.error ?? ''}`.trim() + why);
      }
      await new Promise((res) => setTimeout(res, Math.max(0, interval - (Date.now() - started))));
    }
  };
  const loops = Promise.all(Array.from({ length: clients }, (_, n) => client(n)));
  return {
    counts,
    stop: async (): Promise<TrafficCounts> => {
      stop = true;
      await loops;
      counts.stalledMs = watch.longest();
      watch.stop();
      return counts;
    },
  };
}
