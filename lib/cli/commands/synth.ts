/** `stackyard synth [env]`: environment files → cdktf.out/stacks/<env>/cdk.tf.json. */
import type { Command } from 'commander';
import { environmentsDir, outDir } from '../paths';

export function register(program: Command): void {
  program
    .command('synth')
    .description('synthesize every environment (or only <env>) into Terraform JSON under cdktf.out/stacks/')
    .argument('[env]', 'only this environment (default: all in the environments folder)')
    .option('-q, --quiet', 'no summary table')
    .addHelpText('after', '\nFolders: $ENVIRONMENTS_DIR (default environments/), $CDKTF_OUTDIR (default cdktf.out/).\nCompiles nothing unless TypeScript changed since the last build (cdktf.json runs this as its app).')
    .action(async (env: string | undefined, opts: { quiet?: boolean }) => {
      const { synthEnvironments } = await import('../../app');
      process.exitCode = synthEnvironments({
        dir: environmentsDir(),
        outdir: outDir(),
        only: env ? [env] : process.env.STACKYARD_ONLY ? process.env.STACKYARD_ONLY.split(',') : undefined,
        quiet: opts.quiet === true || process.env.STACKYARD_QUIET === '1',
      });
    });
}
