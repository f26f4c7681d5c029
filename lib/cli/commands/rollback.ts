/** `stackyard rollback <env> [tag]`: deploys an earlier release's tag through the normal deploy. */
import type { Command } from 'commander';
import { readRecordsText } from '../../deploy/host-store';
import { parseRecords, rollbackTarget } from '../../deploy/records';
import { deploy } from '../../deploy/run';
import { CliError } from '../exit-codes';
import { underMachineLock } from '../flock';
import { firstHost, positiveInt, where } from '../where';
import { keepReleasesDefault } from './deploy';

export function register(program: Command): void {
  program
    .command('rollback')
    .description('deploy the previous release (or the named one) again, through the same path as deploy')
    .argument('<env>', 'environment name')
    .argument('[tag]', 'a release tag from `stackyard releases <env>` (default: the newest one before the current release)')
    .option('--keep-releases <n>', 'release images kept per repository and host ($STACKYARD_KEEP_RELEASES, default 5)', positiveInt)
    .action(async (env: string, tag: string | undefined, o: { keepReleases?: number }) => {
      const locked = underMachineLock(where().root, env);
      if (locked !== undefined) {
        process.exitCode = locked;
        return;
      }
      const { host, stack } = await firstHost(env);
      if (!stack.variable?.RELEASE_TAG) throw new CliError(`${env} has no \`release:\` in its environment file: a rollback changes the release tag, and this environment pins its images`);
      const target = rollbackTarget(env, parseRecords(readRecordsText(host, env)), tag);
      if ('error' in target) throw new CliError(target.error);
      console.log(`stackyard: rolling ${env} back to release ${target.tag}`);
      process.exitCode = await deploy(where(), { env, tag: target.tag, action: 'rollback', keepReleases: o.keepReleases ?? keepReleasesDefault() });
    });
}
