/** `stackyard logs <env> <service>`: every replica on every host, merged, prefixed with host and replica. */
import type { Command } from 'commander';
import { environmentsDir } from '../paths';

export function register(program: Command): void {
  program
    .command('logs')
    .description('the logs of every replica of a service on every host, merged and prefixed with host/replica (as docker compose logs)')
    .argument('<env>', 'environment name')
    .argument('<service>', 'service name (a worker pool\'s name covers its services on every host)')
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .option('--since <when>', 'only lines since a duration ago (10m, 1h30m), an RFC 3339 date or a Unix timestamp')
    .option('-n, --tail <lines>', 'only the last lines of each replica (a number, or all)')
    .option('-t, --timestamps', 'show docker\'s timestamp on each line')
    .action(async (env: string, service: string, o: { follow?: boolean; since?: string; tail?: string; timestamps?: boolean }) => {
      const { loadModel } = await import('../../ops/model');
      const { runLogs } = await import('../../ops/logs');
      process.exitCode = await runLogs(loadModel(env, environmentsDir()), service, o, undefined, (stop) => {
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
