/**
 * The day-2 commands as a user runs them: the built `stackyard` command spawned with plain node
 * (help, usage errors and their exit codes, --json shapes against a host that does not answer,
 * the graph on standard output). No Docker engine is needed: the hosts here are sockets that do
 * not exist.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAINTENANCE_IMAGE } from '../lib/ops/maintenance';
import { writeFiles } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'dist', 'bin', 'stackyard.js');

/** Runs the command (several at once in a test: each start loads cdktf, seconds on a busy machine). */
function stackyard(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, STACKYARD_SKIP_BUILD: '1', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

// one environment on a Docker socket nobody listens on
const gone = writeFiles({
  'gone.yaml': [
    'name: gone',
    'hosts: { h: { docker: "unix:///nonexistent/stackyard-test.sock" } }',
    'secrets: [P]',
    'services:',
    '  proxy: { kind: traefik }',
    '  db: { kind: postgres, password: P }',
    '  api: { kind: web, image: acme/api, tag: "1", port: 80, route: "Host(`a.example`)", uses: [db] }',
    '',
  ].join('\n'),
});
const inGone = { ENVIRONMENTS_DIR: gone };

describe('stackyard day-2 commands', { timeout: 180_000 }, () => {
  it('lists them in --help and documents each', async () => {
    const [r, status, logs, exec, graph, maintenance] = await Promise.all([['--help'], ['status', '--help'], ['logs', '--help'], ['exec', '--help'], ['graph', '--help'], ['maintenance', '--help']].map((a) => stackyard(a)));
    expect(r.code).toBe(0);
    for (const c of ['status', 'logs', 'exec', 'maintenance', 'hosts', 'graph']) expect(r.out).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(status.out).toContain('--json');
    expect(logs.out).toMatch(/-f, --follow[\s\S]*--since <when>[\s\S]*-n, --tail <lines>/);
    expect(exec.out).toMatch(/-i, --interactive[\s\S]*--reuse/);
    expect(maintenance.out).toContain(`(default ${MAINTENANCE_IMAGE})`);
    expect(graph.out).toMatch(/--format <format>\s+svg or mermaid \(choices: "svg", "mermaid", default: "svg"\)/);
  });

  it('refuses bad arguments with exit 2 and does nothing', async () => {
    const [png, sideways, since, nocmd, typo] = await Promise.all([
      ['graph', 'local', '--format', 'png'], ['maintenance', 'local', 'sideways'], ['logs', 'local', 'backend', '--since', '10x'], ['exec', 'local', 'backend'], ['stauts', 'local'],
    ].map((a) => stackyard(a)));
    expect(png).toMatchObject({ code: 2, err: expect.stringContaining("argument 'png' is invalid") });
    expect(sideways).toMatchObject({ code: 2, err: expect.stringContaining('expected on or off, got "sideways"') });
    expect(since).toMatchObject({ code: 2, err: expect.stringContaining('--since "10x": expected a duration') });
    expect(nocmd).toMatchObject({ code: 2, err: expect.stringContaining("missing required argument 'cmd'") });
    expect(typo).toMatchObject({ code: 2, err: expect.stringContaining('(Did you mean status?)') });
  });

  it('names an unknown environment or service (exit 1, no stack trace)', async () => {
    const [a, b] = await Promise.all([stackyard(['status', 'nope']), stackyard(['logs', 'local', 'backnd'])]);
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/^stackyard: no environment named nope in environments\/ /);
    expect(b).toMatchObject({ code: 1, err: expect.stringContaining('local has no service "backnd"; its services: adminer, backend,') });
    expect(b.err).not.toMatch(/\n\s+at /);
  });

  it('status --json: every expected container as unknown, and exit 1, when the host does not answer', async () => {
    const [r, text] = await Promise.all([stackyard(['status', 'gone', '--json'], inGone), stackyard(['status', 'gone'], inGone)]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(['environment', 'ok', 'hosts', 'problems', 'notes']);
    expect(j).toMatchObject({ environment: 'gone', ok: false, notes: [] });
    expect(j.hosts).toHaveLength(1);
    expect(j.hosts[0]).toMatchObject({ name: 'h', docker: 'unix:///nonexistent/stackyard-test.sock', reachable: false });
    expect(j.hosts[0].containers.map((c: { name: string }) => c.name)).toEqual(['gone-api-1', 'gone-api-2', 'gone-db-1', 'gone-proxy-1']);
    expect(Object.keys(j.hosts[0].containers[0])).toEqual(['host', 'service', 'replica', 'name', 'kind', 'image', 'state', 'health', 'exitCode', 'uptimeSeconds', 'restarts', 'ok', 'note']);
    expect(j.problems[0]).toMatch(/^host h \(unix:\/\/\/nonexistent\/stackyard-test\.sock\) did not answer: /);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/^host h \(unix:\/\/\/nonexistent\/stackyard-test.sock\): did not answer/);
  });

  it('hosts: one line per host naming what failed and the fix; exit 1', async () => {
    const [r, json] = await Promise.all([stackyard(['hosts', 'gone'], inGone), stackyard(['hosts', 'gone', '--json'], inGone)]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAIL h \(unix:\/\/\/nonexistent\/stackyard-test\.sock\): .+\n {7}.+: .+/);
    expect(JSON.parse(json.out)[0]).toMatchObject({ host: 'h', ok: false, reachable: { ok: false } });
  });

  it('graph writes Mermaid or SVG to standard output', async () => {
    const [m, s] = await Promise.all([stackyard(['graph', 'local', '--format', 'mermaid']), stackyard(['graph', 'gone'], inGone)]);
    expect(m.code).toBe(0);
    expect(m.out.split('\n')[0]).toBe('flowchart LR');
    expect(m.out).toContain('svc_proxy ==>|"Host(`api.localhost`) #124;#124; PathPrefix(`/api`)"| svc_backend');
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
  });

  it('exec and maintenance on a host that does not answer fail naming it', async () => {
    const [e, m] = await Promise.all([stackyard(['exec', 'gone', 'api', '--', 'true'], inGone), stackyard(['maintenance', 'gone', 'on'], inGone)]);
    expect(e.code).toBe(1);
    expect(e.err).toContain('host h (unix:///nonexistent/stackyard-test.sock) did not answer');
    expect(m.code).toBe(1);
    expect(m.err).toContain('host h (unix:///nonexistent/stackyard-test.sock) did not answer');
  });
});
