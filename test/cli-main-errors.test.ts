/**
 * What main() (lib/cli/program.ts) makes of each kind of failure a command can end with, in
 * process: a file's problems listed with the count and exit 1; an expected failure (one that
 * carries an exit code) as one line with its code; anything else as an internal error, exit 70,
 * with the stack to report. A stand-in `graph` command throws what each test asks for.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../lib/config/errors';
import { EXIT } from '../lib/cli/exit-codes';
import { buildProgram, main } from '../lib/cli/program';
import { captureOutput, type Captured } from './helpers';

const thrown = vi.hoisted(() => ({ value: undefined as unknown }));
vi.mock('../lib/cli/commands/graph', () => ({
  register: (program: import('commander').Command) => {
    program.command('graph').description('stand-in').action(() => {
      throw thrown.value;
    });
  },
}));

let io: Captured;
beforeEach(() => {
  io = captureOutput();
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('how main() ends a failed command', () => {
  it('problems of a file: each on its own line with its place, the count, exit 1', async () => {
    thrown.value = new ConfigError([
      { file: 'b.yaml', line: 3, col: 1, path: 'services.x', message: 'second' },
      { file: 'a.yaml', line: 7, col: 5, path: 'hosts.core.docker', message: 'first' },
    ]);
    expect(await main(['graph'])).toBe(EXIT.failure);
    expect(io.err).toBe('a.yaml:7:5 hosts.core.docker: first\nb.yaml:3:1 services.x: second\n\n2 problem(s) found; nothing was done.\n');
  });

  it('an expected failure: its message on one line and its own exit code, no stack', async () => {
    thrown.value = Object.assign(new Error('host core did not answer'), { exitCode: 75 });
    expect(await main(['graph'])).toBe(75);
    expect(io.err).toBe('stackyard: host core did not answer\n');
  });

  it('anything else is an internal error: exit 70, with the stack to report', async () => {
    thrown.value = new TypeError('x is undefined');
    expect(await main(['graph'])).toBe(EXIT.internal);
    expect(io.err).toMatch(/^stackyard: internal error \(please report it\): TypeError: x is undefined\n\s+at /);
    // an exit code that is not a number does not make it expected
    thrown.value = Object.assign(new Error('odd'), { exitCode: '1' });
    expect(await main(['graph'])).toBe(EXIT.internal);
    io.err = '';
    // a thrown value that is not an Error
    thrown.value = 'a string';
    expect(await main(['graph'])).toBe(EXIT.internal);
    expect(io.err).toBe('stackyard: internal error (please report it): a string\n');
    io.err = '';
    thrown.value = { exitCode: 1, message: 'not an Error' };
    expect(await main(['graph'])).toBe(EXIT.internal);
  });

  it('the program: its name, description, version and help that names the exit codes', () => {
    const p = buildProgram();
    expect(p.name()).toBe('stackyard');
    expect(p.description()).toBe('Typed service stacks on plain Docker hosts: environment files -> OpenTofu');
    expect(p.version()).toMatch(/^\d+\.\d+\.\d+/);
    let help = '';
    p.configureOutput({ writeOut: (s) => (help += s) });
    p.outputHelp();
    expect(help).toContain('Exit codes: 0 done, 1 failure or refusal, 2 usage error, 3 plan with a data-loss warning,\n75 environment locked by another deploy, 70 internal error.');
    // commands in the order they are registered (synth first), not sorted
    expect(help.indexOf('  synth')).toBeLessThan(help.indexOf('  plan'));
    expect(help.indexOf('  plan')).toBeLessThan(help.indexOf('  deploy'));
  });

  it('an unknown command: a usage error that suggests and points at the help', async () => {
    expect(await main(['grpah'])).toBe(EXIT.usage);
    expect(io.err).toContain("(Did you mean graph?)");
    expect(io.err).toContain('(stackyard --help lists the commands; stackyard <command> --help its options)');
  });
});
