/** `stackyard maintenance <env> on|off`: every routed service answers 503 with a plain page; nothing is stopped. */
import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes';
import { environmentsDir } from '../paths';

export function register(program: Command): void {
  program
    .command('maintenance')
    .description('put up (on) or take down (off) a 503 maintenance page for every routed service, through a high-priority proxy route; containers keep running')
    .argument('<env>', 'environment name')
    .argument('<mode>', 'on | off')
    .option('-m, --message <text>', 'the message on the page (on)')
    .option('--image <image>', `the page's image: anything with busybox at /bin/busybox (default busybox:1.37)`)
    .addHelpText('after', '\nThe page survives a deploy. Turn it off before `stackyard down` (it holds the proxy network).')
    .action(async (env: string, mode: string, o: { message?: string; image?: string }) => {
      if (mode !== 'on' && mode !== 'off') throw new CliError(`expected on or off, got ${JSON.stringify(mode)}`, EXIT.usage);
      const { loadModel } = await import('../../ops/model');
      const { runMaintenance } = await import('../../ops/maintenance');
      process.exitCode = await runMaintenance(loadModel(env, environmentsDir()), mode, o);
    });
}
