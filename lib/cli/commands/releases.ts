/** `stackyard releases <env>` and `stackyard audit <env>`: the deploy record kept on the first host. */
import type { Command } from 'commander';
import { readRecordsText } from '../../deploy/host-store';
import { formatRecords, newestFirst, parseRecords, releases } from '../../deploy/records';
import { firstHost, positiveInt } from '../where';

export function register(program: Command): void {
  program
    .command('releases')
    .description('the successful deploys and rollbacks of an environment with their release tags, newest first')
    .argument('<env>', 'environment name')
    .option('--json', 'JSON lines for scripts')
    .action(async (env: string, o: { json?: boolean }) => {
      const list = releases(parseRecords(readRecordsText((await firstHost(env)).host, env)));
      if (o.json) for (const r of list) console.log(JSON.stringify(r));
      else if (!list.length) console.log(`no release of ${env} recorded yet`);
      else for (const l of formatRecords(list, new Date())) console.log(l);
    });
  program
    .command('audit')
    .description('every deploy, rollback and down of an environment: who, when, tag, plan headline, result, newest first')
    .argument('<env>', 'environment name')
    .option('-n, --limit <n>', 'only the newest n', positiveInt)
    .option('--json', 'JSON lines for scripts')
    .action(async (env: string, o: { json?: boolean; limit?: number }) => {
      const list = newestFirst(parseRecords(readRecordsText((await firstHost(env)).host, env))).slice(0, o.limit ?? Infinity);
      if (o.json) for (const r of list) console.log(JSON.stringify(r));
      else if (!list.length) console.log(`nothing recorded for ${env} yet`);
      else for (const l of formatRecords(list, new Date())) console.log(l);
    });
}
