/**
 * `stackyard` run in process through main() (lib/cli/program.ts), for the commands that need no
 * engine: exit codes of the program itself (usage, help, version, a bad file, an internal error)
 * and `graph`. test/cli.test.ts runs the built command as a user does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../lib/cli/exit-codes';
import { main } from '../lib/cli/program';
import { MINIMAL, tempDir, writeFiles } from './helpers';

let out = '';
let err = '';
const saved = process.env.ENVIRONMENTS_DIR;
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  if (saved === undefined) delete process.env.ENVIRONMENTS_DIR;
  else process.env.ENVIRONMENTS_DIR = saved;
});

describe('stackyard in process', () => {
  it('help and version end well; no command, an unknown one or a bad option value is a usage error', async () => {
    expect(await main(['--help'])).toBe(EXIT.ok);
    expect(out).toContain('Exit codes: 0 done, 1 failure or refusal, 2 usage error');
    expect(await main(['--version'])).toBe(EXIT.ok);
    expect(out).toMatch(/\d+\.\d+\.\d+/);
    expect(await main([])).toBe(EXIT.usage);
    expect(await main(['deplyo', 'x'])).toBe(EXIT.usage);
    expect(err).toContain('(Did you mean deploy?)');
    expect(await main(['graph', 'x', '--format', 'png'])).toBe(EXIT.usage);
    expect(err).toMatch(/argument 'png' is invalid\. Allowed choices are svg, mermaid/);
  });

  it('graph: the environment as Mermaid, to standard output or a file', async () => {
    process.env.ENVIRONMENTS_DIR = writeFiles({ 'test.yaml': MINIMAL });
    expect(await main(['graph', 'test', '--format', 'mermaid'])).toBe(EXIT.ok);
    expect(out).toMatch(/^flowchart/);
    expect(out).toContain('api');
    const file = path.join(tempDir(), 'g.mmd');
    const before = out;
    expect(await main(['graph', 'test', '--format', 'mermaid', '-o', file])).toBe(EXIT.ok);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(out).toBe(before); // nothing more on standard output
  });

  it('a file with a problem: its position and what to do, the count, exit 1, no stack trace', async () => {
    process.env.ENVIRONMENTS_DIR = writeFiles({ 'test.yaml': MINIMAL.replace('kind: postgres', 'kind: postgress') });
    expect(await main(['graph', 'test', '--format', 'mermaid'])).toBe(EXIT.failure);
    expect(err).toMatch(/test\.yaml:7:9 services\.db\.kind: unknown kind "postgress"; did you mean `postgres`\?/);
    expect(err).toContain('1 problem(s) found in the environment files.');
    expect(err).not.toMatch(/\n\s+at /);
    expect(out).toBe('');
  });
});
