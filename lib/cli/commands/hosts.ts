/** `stackyard hosts <env>`: check-only host checks before a deploy. */
import type { Command } from 'commander';
import { EXIT } from '../exit-codes';
import { environmentsDir } from '../paths';

export function register(program: Command): void {
  program
    .command('hosts')
    .description('check every host of the environment (changes nothing): reachable with the pinned key, Docker version, free disk on the data root, clock skew')
    .argument('<env>', 'environment name')
    .option('--json', 'the checks as JSON')
    .addHelpText('after', '\nOne line per host; a failing check is followed by what to do. Exit 1 when any host fails.')
    .action(async (env: string, o: { json?: boolean }) => {
      const { loadModel } = await import('../../ops/model');
      const { formatHostCheck, runHostChecks } = await import('../../ops/hosts');
      const checks = await runHostChecks(loadModel(env, environmentsDir()));
      if (o.json) process.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
      else for (const c of checks) process.stdout.write(`${formatHostCheck(c)}\n`);
      process.exitCode = checks.every((c) => c.ok) ? EXIT.ok : EXIT.failure;
    });
}
