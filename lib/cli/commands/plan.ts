/** `stackyard plan <env>`: what a deploy would change, as the pull-request comment says it, for a terminal. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { resolveEngine, runEngine } from '../../deploy/engine';
import { synthOne } from '../../deploy/run';
import { DeployStop, deploySecrets } from '../../deploy/steps';
import { toArtifact } from '../../plan/artifact';
import { parsePlan, renderSummary } from '../../plan/summary';
import { markdownForTerminal } from '../../plan/terminal';
import { topologiesFrom } from '../../plan/topologies';
import { EXIT } from '../exit-codes';
import { where } from '../where';

export function register(program: Command): void {
  program
    .command('plan')
    .description('plan one environment against its state and show the pull-request comment\'s summary in the terminal')
    .argument('<env>', 'environment name')
    .option('--markdown', 'print the Markdown of the pull-request comment instead')
    .option('--json', 'print the summary data (the plan artifact: no values, no secrets)')
    .addHelpText('after', '\nNeeds the same secrets as deploy (TF_VAR_<NAME> or .stackyard/secrets/<env>.env). Exit code 3: the plan deletes or replaces data.')
    .action(async (env: string, o: { markdown?: boolean; json?: boolean }) => {
      const w = where();
      const dir = await synthOne(w, env);
      const vars = deploySecrets(w.root, dir, 'require');
      const engine = resolveEngine(w.root);
      const run = (args: string[], keepStdout = false) => runEngine(engine, args, { cwd: dir, vars, keepStdout });
      const fail = (what: string, tail: string[]) => {
        process.stderr.write(tail.slice(-20).join('\n') + '\n');
        throw new DeployStop(`${what} of ${env} failed (above)`);
      };
      const init = await run(['init', '-input=false', '-no-color']);
      if (init.status !== 0) fail('tofu init', init.tail);
      const planFile = path.join(dir, 'stackyard-plan.tfplan');
      try {
        const p = await run(['plan', '-input=false', '-no-color', '-lock=false', `-out=${planFile}`]);
        if (p.status !== 0) fail('plan', p.tail);
        const show = await run(['show', '-json', planFile], true);
        if (show.status !== 0) fail('tofu show', show.tail);
        const plan = parsePlan(env, show.stdout, `${env} plan`);
        // the Markdown (the pull-request comment) carries the picture of the touched services
        const diagrams = o.markdown ? topologiesFrom(w.environmentsDir, [env]) : undefined;
        const s = renderSummary([plan], Number.MAX_SAFE_INTEGER, { diagrams });
        if (o.json) process.stdout.write(toArtifact([plan]));
        else process.stdout.write(o.markdown ? s.markdown : markdownForTerminal(s.markdown));
        process.exitCode = s.dataLoss ? EXIT.dataLoss : EXIT.ok;
      } finally {
        fs.rmSync(planFile, { force: true });
      }
    });
}
