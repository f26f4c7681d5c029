/** `stackyard deploy <env>`: synth, checks, one-shot jobs first, then the rest, with OpenTofu. */
import type { Command } from 'commander';
import { deploy } from '../../deploy/run';
import { underMachineLock } from '../flock';
import { positiveInt, where } from '../where';

export const keepReleasesDefault = () => Number(process.env.STACKYARD_KEEP_RELEASES ?? '5') || 5;

export function register(program: Command): void {
  program
    .command('deploy')
    .description('deploy one environment: synth, secrets and lock checks, orphan reaping, one-shot jobs first, then plan and apply')
    .argument('<env>', 'environment name')
    .option('--generate-secrets', 'random values for missing secrets, kept in .stackyard/secrets/<env>.env (refused for production and GitHub-managed environments)')
    .option('--adopt-orphans', 'remove and recreate containers of this environment that the state does not know (named volumes are kept)')
    .option('--migrate-state', 'encrypt a remote state written in clear (read once through the unencrypted fallback)')
    .option('--keep-releases <n>', 'release images kept per repository and host after a successful deploy ($STACKYARD_KEEP_RELEASES, default 5)', positiveInt)
    .addHelpText('after', '\nSecrets come from TF_VAR_<NAME> or .stackyard/secrets/<env>.env, never from the command line.\nRefused (exit 75) while someone else holds the deploy lock (stackyard lock <env> status).')
    .action(async (env: string, o: { generateSecrets?: boolean; adoptOrphans?: boolean; migrateState?: boolean; keepReleases?: number }) => {
      const locked = underMachineLock(where().root, env);
      if (locked !== undefined) {
        process.exitCode = locked;
        return;
      }
      process.exitCode = await deploy(where(), { env, generateSecrets: o.generateSecrets, adoptOrphans: o.adoptOrphans, migrateState: o.migrateState, keepReleases: o.keepReleases ?? keepReleasesDefault() });
    });
}
