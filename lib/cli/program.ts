/**
 * The `stackyard` command: one commander program, one module per command under
 * lib/cli/commands/, each exporting `register(program)`. This list is the only place that names
 * them (order = order in `stackyard --help`).
 */
import { Command, CommanderError } from 'commander';
import { EXIT } from './exit-codes';
import * as audit from './commands/releases';
import * as deploy from './commands/deploy';
import * as down from './commands/down';
import * as lock from './commands/lock';
import * as plan from './commands/plan';
import * as rollback from './commands/rollback';
import * as secrets from './commands/secrets';
import * as synth from './commands/synth';
import * as status from './commands/status';
import * as logs from './commands/logs';
import * as exec from './commands/exec';
import * as maintenance from './commands/maintenance';
import * as hosts from './commands/hosts';
import * as graph from './commands/graph';
import { ConfigError, formatProblem } from '../config/errors';

export interface CommandModule {
  register(program: Command): void;
}

export const commands: readonly CommandModule[] = [synth, plan, deploy, down, secrets, audit, rollback, lock, status, logs, exec, maintenance, hosts, graph];

export function buildProgram(): Command {
  const program = new Command('stackyard')
    .description('Typed service stacks on plain Docker hosts: environment files -> OpenTofu')
    .version(readVersion(), '-V, --version')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(stackyard --help lists the commands; stackyard <command> --help its options)')
    .exitOverride()
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true });
  program.addHelpText(
    'after',
    `\nExit codes: 0 done, 1 failure or refusal, 2 usage error, 3 plan with a data-loss warning,\n75 environment locked by another deploy, 70 internal error.`,
  );
  for (const c of commands) c.register(program);
  return program;
}

function readVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Parses argv (without node and script) and runs the command; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end the run successfully; `stackyard` alone prints the help as a usage error
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      return EXIT.usage;
    }
    if (e instanceof ConfigError) {
      for (const p of e.problems) process.stderr.write(formatProblem(p) + '\n');
      process.stderr.write(`\n${e.problems.length} problem(s) found; nothing was done.\n`);
      return EXIT.failure;
    }
    // an expected failure (CliError, a deploy step's refusal, an unreachable host): its message and code
    if (e instanceof Error && typeof (e as { exitCode?: unknown }).exitCode === 'number') {
      process.stderr.write(`stackyard: ${e.message}\n`);
      return (e as unknown as { exitCode: number }).exitCode;
    }
    process.stderr.write(`stackyard: internal error (please report it): ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.internal;
  }
}
