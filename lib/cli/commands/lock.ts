/** `stackyard lock <env> acquire|release|status`: the deploy lock on the environment's first host. */
import type { Command } from 'commander';
import { decideRelease, describeLock, whoAmI } from '../../deploy/deploy-lock';
import { createLock, readLock, removeLock } from '../../deploy/host-store';
import { CliError, EXIT } from '../exit-codes';
import { firstHost } from '../where';

export function register(program: Command): void {
  program
    .command('lock')
    .description('take, release or show the deploy lock kept on the environment\'s first host (every deploy machine sees it)')
    .argument('<env>', 'environment name')
    .argument('<action>', 'acquire | release | status')
    .option('-m, --message <why>', 'acquire: why (shown to whoever deploy is refused)')
    .option('--force', 'release: break a lock someone else holds')
    .option('--json', 'status: JSON ({ locked, holder, since, message, run })')
    .addHelpText('after', '\nWho you are: $STACKYARD_WHO, else the GitHub actor in Actions, else user@hostname.\nstatus exits 0 when free, 75 when held.')
    .action(async (env: string, action: string, o: { message?: string; force?: boolean; json?: boolean }) => {
      if (!['acquire', 'release', 'status'].includes(action)) {
        throw new CliError(`unknown lock action ${JSON.stringify(action)}; expected acquire, release or status`, EXIT.usage);
      }
      const { host } = await firstHost(env);
      const me = whoAmI();
      const now = new Date();
      const held = readLock(host, env);
      if (action === 'status') {
        if (o.json) console.log(JSON.stringify(held ? { locked: true, ...held } : { locked: false }));
        else console.log(held ? `${env} is locked, ${describeLock(held, now)}` : `${env} is not locked`);
        process.exitCode = held ? EXIT.locked : EXIT.ok;
        return;
      }
      if (action === 'acquire') {
        if (held && held.holder === me && !held.run) {
          console.log(`${env}: you hold the lock already (${describeLock(held, now)})`);
          return;
        }
        if (held) throw new CliError(`${env} is locked, ${describeLock(held, now)}`, EXIT.locked);
        if (!createLock(host, { environment: env, holder: me, since: now.toISOString(), message: o.message ?? '', run: false })) {
          throw new CliError(`${env} was locked by someone else just now: stackyard lock ${env} status`, EXIT.locked);
        }
        console.log(`${env} locked by ${me}${o.message ? `: ${o.message}` : ''}; deploys by others are refused until stackyard lock ${env} release`);
        return;
      }
      const d = decideRelease(env, held, me, o.force === true, now);
      if (d.kind === 'refuse') throw new CliError(d.message, EXIT.locked);
      if (d.kind === 'none') {
        console.log(`${env} is not locked`);
        return;
      }
      removeLock(host, env);
      console.log(`${env} unlocked`);
    });
}
