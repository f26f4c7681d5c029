/**
 * Steady HTTP traffic through the proxy, for the end-to-end suite and `npm run bench:rolling`:
 * `clients` loops, each alternating GET and POST at a fixed pace, every request with its own
 * connection (no keep-alive: a replica that stops must be noticed on the next request), each
 * bounded in time. A request fails when it errors, times out or answers other than 200 with
 * the demo app's JSON.
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
  const counts: TrafficCounts = { sent: 0, failed: 0, versions: {}, failures: [], slowestMs: 0 };
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
        if (counts.failures.length < 10) counts.failures.push(`${new Date().toISOString()} ${method} ${r.status ?? ''} ${r.error ?? ''}`.trim());
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
      return counts;
    },
  };
}
