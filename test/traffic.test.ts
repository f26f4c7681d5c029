/**
 * The traffic client of bench:rolling and the end-to-end suite (scripts/traffic.ts) against a
 * server in another process. Blocking the client's own process (a spawnSync while the clients
 * run, as bench:rolling's failing-image scenario did with its `tofu plan`) makes a request the
 * server answered in time count as timed out: Node runs expired timers before it reads the
 * reply. The client measures such blocks and names them in the failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopWatch, STALL_MS, steadyTraffic } from '../scripts/traffic';

// answers like the demo app, after `?delay=` seconds
const SERVER = `require('http').createServer((q, r) => {
  const d = Number(new URL(q.url, 'http://x').searchParams.get('delay') || 0);
  q.resume();
  setTimeout(() => { r.writeHead(200, { 'Content-Type': 'application/json' }); r.end(JSON.stringify({ replica: 'r1', version: 't' })); }, d * 1000);
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

let server: ChildProcess;
let port = 0;

beforeAll(async () => {
  server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  port = await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
});

afterAll(() => {
  server.kill();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Blocks this process's event loop for `seconds`, from the check phase (a child's exit is handled in a later phase, as in the bench). */
const block = (seconds: number) => new Promise<void>((resolve) => setImmediate(() => {
  spawnSync('sleep', [String(seconds)]);
  resolve();
}));

describe('steady traffic', () => {
  it('counts replies by version, none failed, when nothing blocks the client', async () => {
    const t = steadyTraffic({ port, clients: 2, rate: 20, delaySeconds: 0.05, timeoutSeconds: 5 });
    await sleep(1000);
    const c = await t.stop();
    expect(c.sent).toBeGreaterThan(5);
    expect(c.failures).toEqual([]);
    expect(c.versions).toEqual({ t: c.sent });
    expect(c.clientStalls).toBe(0);
  });

  it('a request answered in time but read after the client was blocked fails as a timeout, and the failure says the client was blocked', async () => {
    // each request held 0.4 s, one client: a request is always in flight when the block begins
    const t = steadyTraffic({ port, clients: 1, rate: 10, delaySeconds: 0.4, timeoutSeconds: 1 });
    await sleep(600);
    await block(1.6);
    await sleep(600);
    const c = await t.stop();
    expect(c.failed).toBeGreaterThanOrEqual(1);
    expect(c.clientStalls).toBe(c.failed);
    expect(c.failures[0]).toMatch(/ timeout \(the client itself was blocked 1\.\d s meanwhile\)$/);
    expect(c.stalledMs).toBeGreaterThanOrEqual(1500);
  });
});

describe('loopWatch', () => {
  it('reports the longest block and the blocks overlapping a span', async () => {
    const w = loopWatch();
    await sleep(200);
    const before = Date.now();
    await block(STALL_MS / 1000 + 0.2);
    const after = Date.now();
    await sleep(200);
    expect(w.longest()).toBeGreaterThanOrEqual(STALL_MS);
    expect(w.blockedDuring(before, after)).toBeGreaterThanOrEqual(STALL_MS);
    expect(w.blockedDuring(after + 100, Date.now())).toBeLessThan(STALL_MS);
    w.stop();
  });
});
