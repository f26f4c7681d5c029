/**
 * `stackyard --help` documents everything, in process (the CLI tests that spawn the built
 * command prove the rest): every command, every argument and every option has a description,
 * and each argument has a name.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../lib/cli/program';

describe('the command documents itself', () => {
  it('every command, argument and option has a description; every argument a name', () => {
    const program = buildProgram();
    expect(program.commands.length).toBeGreaterThanOrEqual(14);
    for (const c of program.commands) {
      expect(c.description().trim(), c.name()).not.toBe('');
      for (const a of c.registeredArguments) {
        expect(a.name().trim(), `${c.name()} argument`).not.toBe('');
        expect(a.description.trim(), `${c.name()} <${a.name()}>`).not.toBe('');
      }
      for (const o of c.options) expect(o.description.trim(), `${c.name()} ${o.flags}`).not.toBe('');
      for (const sub of c.commands) {
        expect(sub.description().trim(), `${c.name()} ${sub.name()}`).not.toBe('');
        for (const a of sub.registeredArguments) expect(a.description.trim(), `${c.name()} ${sub.name()} <${a.name()}>`).not.toBe('');
        for (const o of sub.options) expect(o.description.trim(), `${c.name()} ${sub.name()} ${o.flags}`).not.toBe('');
      }
    }
  });

  it('the commands, in the order --help lists them', () => {
    expect(buildProgram().commands.map((c) => c.name())).toEqual(['synth', 'plan', 'deploy', 'down', 'secrets', 'releases', 'audit', 'rollback', 'lock', 'status', 'logs', 'exec', 'maintenance', 'hosts', 'graph']);
  });

  it('a command\'s --help shows the global options too, and the top-level help lists the commands in that order', () => {
    const program = buildProgram();
    const deploy = program.commands.find((c) => c.name() === 'deploy')!;
    expect(deploy.helpInformation()).toMatch(/\nGlobal Options:\n\s+-V, --version\s+output the version number\n/);
    const listed = [...program.helpInformation().split('\nCommands:\n')[1].matchAll(/^ {2}(\w+)/gm)].map((m) => m[1]);
    expect(listed.slice(0, -1)).toEqual(program.commands.map((c) => c.name()));
    expect(listed.at(-1)).toBe('help');
  });

  it('the notes a command keeps after its options are printed with its help', () => {
    const help = (name: string) => {
      const c = buildProgram().commands.find((x) => x.name() === name)!;
      let out = '';
      c.configureOutput({ writeOut: (t) => (out += t) });
      c.outputHelp();
      return out;
    };
    // each after the options, not instead of them
    for (const [name, note] of [['hosts', 'Exit 1 when any host fails.'], ['status', 'Exit codes: 0 everything'], ['maintenance', 'The page survives a deploy.'], ['synth', 'Folders: $ENVIRONMENTS_DIR']]) {
      const text = help(name);
      expect(text.indexOf(note), name).toBeGreaterThan(text.indexOf('Options:'));
      expect(text.indexOf('Options:'), name).toBeGreaterThan(0);
    }
  });
});
