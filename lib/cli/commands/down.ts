/** `stackyard down [env]`: containers and networks go, data volumes stay (like `docker compose down`). */
import type { Command } from 'commander';
import { down } from '../../deploy/run';
import { underMachineLock } from '../flock';
import { where } from '../where';

export function register(program: Command): void {
  program
    .command('down')
    .description('remove an environment\'s containers and networks, keeping its data volumes and GitHub environments')
    .argument('[env]', 'environment name', 'local')
    .option('--volumes', 'delete the data volumes too (asks for the environment name)')
    .option('--github', 'destroy the GitHub environments and secrets too (asks)')
    .option('--yes', 'confirm without a terminal (CI)')
    .action(async (env: string, o: { volumes?: boolean; github?: boolean; yes?: boolean }) => {
      const locked = underMachineLock(where().root, env);
      if (locked !== undefined) {
        process.exitCode = locked;
        return;
      }
      process.exitCode = await down(where(), { env, ...o });
    });
}
