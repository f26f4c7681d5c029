/**
 * `stackyard secrets <env>`: which secret goes to which service and to which GitHub environment,
 * and which are missing from the current process environment (TF_VAR_<NAME>). Never prints a
 * value. Exits 1 when a secret is missing, so a workflow can check before deploying.
 */
import type { Command } from 'commander';
import { CliError } from '../exit-codes';
import { environmentsDir } from '../paths';

export function register(program: Command): void {
  program
    .command('secrets')
    .description('which secret goes where, and which are missing here (TF_VAR_<NAME>); never prints a value')
    .argument('<env>', 'environment name')
    .option('--json', 'JSON for scripts: [{ name, deliveredTo, github, set }]')
    .action(async (name: string, o: { json?: boolean }) => {
      const { loadEnvironments } = await import('../../environments');
      const { githubEnvironmentName, secretInventory } = await import('../../github/inventory');
      const dir = environmentsDir();
      const stack = loadEnvironments(dir, [name])[0];
      if (!stack) throw new CliError(`no environment named ${name} in ${dir}/`);
      const gh = stack.github;
      const where = (scope: string) =>
        !gh ? '(no GitHub)' : scope === 'repository' ? `${gh.owner}/${gh.repository} (repository)` : scope === 'inherited' ? `${gh.owner}/${gh.repository} (repository, set by another stack)` : `${gh.owner}/${gh.repository} environment ${githubEnvironmentName(stack)}`;
      const inventory = secretInventory(stack).map((s) => ({ name: s.name, deliveredTo: s.services, github: where(s.scope), set: !!process.env[`TF_VAR_${s.name}`] }));
      const missing = inventory.filter((s) => !s.set).map((s) => s.name);
      if (o.json) console.log(JSON.stringify(inventory));
      else {
        const rows = inventory.map((s) => [s.name, s.deliveredTo.join(', ') || '(deploy only)', s.github, s.set ? 'set' : 'MISSING']);
        const head = ['secret', 'delivered to', 'GitHub', `TF_VAR_ here`];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
        console.log([line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
        if (missing.length) console.log(`\n${missing.length} secret(s) missing for ${name}: ${missing.join(', ')} (set TF_VAR_<NAME>)`);
      }
      process.exitCode = missing.length ? 1 : 0;
    });
}
