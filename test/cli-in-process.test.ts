/**
 * `stackyard` run in process through main() (lib/cli/program.ts), for the commands that need no
 * engine: exit codes of the program itself (usage, help, version, a bad file, an internal error)
 * and `graph`. test/cli.test.ts runs the built command as a user does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CliError, EXIT } from '../lib/cli/exit-codes';
import { main } from '../lib/cli/program';
import { MINIMAL, tempDir, writeFiles, captureOutput, type Captured } from './helpers';

let io: Captured;
const saved = process.env.ENVIRONMENTS_DIR;
beforeEach(() => {
  io = captureOutput();
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  if (saved === undefined) delete process.env.ENVIRONMENTS_DIR;
  else process.env.ENVIRONMENTS_DIR = saved;
  for (const k of ['CDKTF_OUTDIR', 'STACKYARD_ONLY', 'STACKYARD_QUIET']) delete process.env[k];
});

const stacksIn = (dir: string) => (fs.existsSync(path.join(dir, 'stacks')) ? fs.readdirSync(path.join(dir, 'stacks')).sort() : []);

describe('stackyard in process', () => {
  it('an expected failure names itself in a log line or a trace, and exits 1 unless given another code', () => {
    expect(String(new CliError('no such service'))).toBe('CliError: no such service');
    expect(new CliError('x').exitCode).toBe(EXIT.failure);
    expect(new CliError('x', EXIT.locked).exitCode).toBe(75);
  });

  it('help and version end well; no command, an unknown one or a bad option value is a usage error', async () => {
    expect(await main(['--help'])).toBe(EXIT.ok);
    expect(io.out).toContain('Exit codes: 0 done, 1 failure or refusal, 2 usage error');
    expect(await main(['--version'])).toBe(EXIT.ok);
    expect(io.out).toMatch(/\d+\.\d+\.\d+/);
    expect(await main([])).toBe(EXIT.usage);
    expect(await main(['deplyo', 'x'])).toBe(EXIT.usage);
    expect(io.err).toContain('(Did you mean deploy?)');
    expect(await main(['graph', 'x', '--format', 'png'])).toBe(EXIT.usage);
    expect(io.err).toMatch(/argument 'png' is invalid\. Allowed choices are svg, mermaid/);
  });

  it('graph: the environment as Mermaid, to standard output or a file', async () => {
    process.env.ENVIRONMENTS_DIR = writeFiles({ 'test.yaml': MINIMAL });
    expect(await main(['graph', 'test', '--format', 'mermaid'])).toBe(EXIT.ok);
    expect(io.out).toMatch(/^flowchart/);
    expect(io.out).toContain('api');
    const file = path.join(tempDir(), 'g.mmd');
    const before = io.out;
    expect(await main(['graph', 'test', '--format', 'mermaid', '-o', file])).toBe(EXIT.ok);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(io.out).toBe(before); // nothing more on standard output
  });

  it('a file with a problem: its position and what to do, the count, exit 1, no stack trace', async () => {
    process.env.ENVIRONMENTS_DIR = writeFiles({ 'test.yaml': MINIMAL.replace('kind: postgres', 'kind: postgress') });
    expect(await main(['graph', 'test', '--format', 'mermaid'])).toBe(EXIT.failure);
    expect(io.err).toMatch(/test\.yaml:7:9 services\.db\.kind: unknown kind "postgress"; did you mean `postgres`\?/);
    expect(io.err).toContain('1 problem(s) found in the environment files.');
    expect(io.err).not.toMatch(/\n\s+at /);
    expect(io.out).toBe('');
  });

  it('synth: every environment, or only the one named, or $STACKYARD_ONLY\'s; -q and $STACKYARD_QUIET print no table', async () => {
    process.env.ENVIRONMENTS_DIR = writeFiles({ 'a.yaml': MINIMAL.replace('name: test', 'name: a'), 'b.yaml': MINIMAL.replace('name: test', 'name: b'), 'c.yaml': MINIMAL.replace('name: test', 'name: c') });
    const all = tempDir();
    process.env.CDKTF_OUTDIR = all;
    expect(await main(['synth'])).toBe(EXIT.ok);
    expect(stacksIn(all)).toEqual(['a', 'b', 'c']);
    expect(JSON.parse(fs.readFileSync(path.join(all, 'stacks', 'b', 'cdk.tf.json'), 'utf8'))['//'].stackyard.environment).toBe('b');
    expect(io.out).toMatch(/\ba\b[\s\S]*\bb\b[\s\S]*\bc\b/); // the summary table names each
    const one = tempDir();
    process.env.CDKTF_OUTDIR = one;
    io.out = '';
    expect(await main(['synth', 'b', '-q'])).toBe(EXIT.ok);
    expect(stacksIn(one)).toEqual(['b']);
    expect(io.out).toBe('');
    const only = tempDir();
    process.env.CDKTF_OUTDIR = only;
    process.env.STACKYARD_ONLY = 'a,c';
    process.env.STACKYARD_QUIET = '1';
    expect(await main(['synth'])).toBe(EXIT.ok);
    expect(stacksIn(only)).toEqual(['a', 'c']);
    expect(io.out).toBe('');
  });

  it('synth of a file with a problem: exit 1 with its position, no stack written', async () => {
    process.env.ENVIRONMENTS_DIR = writeFiles({ 'test.yaml': MINIMAL.replace('port: 8000', 'port: eighty') });
    const o = tempDir();
    process.env.CDKTF_OUTDIR = o;
    expect(await main(['synth', '-q'])).toBe(EXIT.failure);
    expect(io.err).toMatch(/test\.yaml:\d+:\d+ services\.api\.port:/);
    expect(stacksIn(o)).toEqual([]);
  });

  it('hosts: one line per host, a host whose engine does not answer fails with what to do, exit 1; --json the same checks', async () => {
    const sock = path.join(tempDir(), 'no-docker.sock');
    process.env.ENVIRONMENTS_DIR = writeFiles({ 'test.yaml': MINIMAL.replace('unix:///var/run/docker.sock', `unix://${sock}`) });
    expect(await main(['hosts', 'test'])).toBe(EXIT.failure);
    expect(io.out).toMatch(new RegExp(`^FAIL main \\(unix://${sock.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\): `));
    expect(io.out.split('\n')[1]).toMatch(/^ {7}\S.*: /); // the fix, indented under its host
    io.out = '';
    expect(await main(['hosts', 'test', '--json'])).toBe(EXIT.failure);
    const checks = JSON.parse(io.out);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ host: 'main', ok: false });
  });

  it('maintenance: a mode other than on or off is a usage error before anything is loaded', async () => {
    process.env.ENVIRONMENTS_DIR = writeFiles({});
    expect(await main(['maintenance', 'test', 'maybe'])).toBe(EXIT.usage);
    expect(io.err).toContain('expected on or off, got "maybe"');
    expect(await main(['maintenance', 'nope', 'on'])).toBe(EXIT.failure); // loaded only for on/off: the missing file is then named
    expect(io.err).toContain('nope');
  });

  it('status, logs and exec against a host whose engine does not answer: exit 1 naming the host, no stack trace; status --json says it was unreachable', async () => {
    const sock = path.join(tempDir(), 'no-docker.sock');
    process.env.ENVIRONMENTS_DIR = writeFiles({ 'test.yaml': MINIMAL.replace('unix:///var/run/docker.sock', `unix://${sock}`) });
    const unanswered = `host main (unix://${sock}) did not answer: Cannot connect to the Docker daemon`;
    expect(await main(['status', 'test'])).toBe(EXIT.failure);
    expect(io.out).toMatch(/^ {2}✗ {2}api +1 +- +unknown .* host did not answer$/m);
    expect(io.out).toContain(`test: 1 problem(s):\n  - ${unanswered}`);
    io.out = '';
    expect(await main(['status', 'test', '--json'])).toBe(EXIT.failure);
    const report = JSON.parse(io.out);
    expect(report).toMatchObject({ environment: 'test', ok: false, hosts: [{ name: 'main', reachable: false }] });
    expect(report.hosts[0].containers.map((c: { name: string; ok: boolean }) => `${c.name} ${c.ok}`)).toEqual(['test-api-1 false', 'test-api-2 false', 'test-db-1 false', 'test-proxy-1 false']);
    for (const cmd of [['logs', 'test', 'api', '-n', '5'], ['exec', 'test', 'api', '--', 'true']]) {
      io.err = '';
      expect(await main(cmd), cmd[0]).toBe(EXIT.failure);
      expect(io.err, cmd[0]).toContain(`stackyard: ${unanswered}`);
      expect(io.err, cmd[0]).not.toMatch(/internal error|\n\s+at /);
    }
  });
});
