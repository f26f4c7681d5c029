/** `stackyard exec <env> <service> -- <cmd...>`: a one-off container with the service's image, env, secret files and networks. */
import type { Command } from 'commander';
import { environmentsDir } from '../paths';
import { positiveInt } from '../where';

export function register(program: Command): void {
  program
    .command('exec')
    .description('run a command in a one-off container of a service (its image, env, secret files and networks, on its host; removed afterwards), or with --reuse in a running replica')
    .argument('<env>', 'environment name')
    .argument('<service>', 'service name')
    .argument('<cmd...>', 'the command, after --')
    .option('-i, --interactive', 'keep stdin open (and a terminal when this one is a terminal)')
    .option('--reuse', 'run in a running replica (docker exec) instead of a one-off container')
    .option('-r, --replica <n>', 'the replica to run in (--reuse) or to take settings and files from', positiveInt)
    .addHelpText('after', '\nExample: stackyard exec staging backend -- python manage.py migrate\nThe exit code is the command\'s. Secret values never appear on a command line: the environment goes\nthrough a private env file, the files are copied from a replica with docker cp.')
    .action(async (env: string, service: string, cmd: string[], o: { interactive?: boolean; reuse?: boolean; replica?: number }) => {
      const { loadModel } = await import('../../ops/model');
      const { runExec } = await import('../../ops/exec');
      const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
      process.exitCode = await runExec(loadModel(env, environmentsDir()), service, cmd, { ...o, tty });
    });
}
