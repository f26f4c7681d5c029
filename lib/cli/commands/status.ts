/** `stackyard status <env>`: each container of the environment per host, compared with the environment file. */
import type { Command } from 'commander';
import { EXIT } from '../exit-codes';
import { environmentsDir } from '../paths';

export function register(program: Command): void {
  program
    .command('status')
    .description('per host, each container of the environment: service, replica, image tag, health, uptime, restarts; exits 1 when something is unhealthy or missing')
    .argument('<env>', 'environment name')
    .option('--json', 'the report as JSON ({ environment, ok, hosts: [{ name, docker, reachable, error, containers: [...] }], problems, notes })')
    .addHelpText('after', '\nExit codes: 0 everything the environment file expects runs (healthy where it has a healthcheck; jobs exited 0),\n1 something is missing, unhealthy, exited or on a host that did not answer.')
    .action(async (env: string, o: { json?: boolean }) => {
      const { loadModel } = await import('../../ops/model');
      const { collectStatus, formatStatus } = await import('../../ops/status');
      const report = await collectStatus(loadModel(env, environmentsDir()));
      if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else for (const l of formatStatus(report)) process.stdout.write(`${l}\n`);
      process.exitCode = report.ok ? EXIT.ok : EXIT.failure;
    });
}
