/**
 * `npm run secrets -- <environment>`: which secret goes to which service and to which GitHub
 * environment, and which are missing from the current process environment (TF_VAR_<NAME>).
 * Never prints a value. Exits 1 when a secret is missing, so a workflow can check before deploying.
 */
import { loadStacks } from '../lib/app';
import { ConfigError, formatProblem } from '../lib/config/errors';
import { githubEnvironmentName, secretInventory } from '../lib/github/render';

function main(): number {
  const name = process.argv[2];
  if (!name) {
    process.stderr.write('usage: npm run secrets -- <environment>\n');
    return 2;
  }
  const dir = process.env.ENVIRONMENTS_DIR ?? 'environments';
  let stacks;
  try {
    stacks = loadStacks(dir, [name]);
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) process.stderr.write(formatProblem(p) + '\n');
      return 1;
    }
    throw e;
  }
  const stack = stacks[0];
  if (!stack) {
    process.stderr.write(`no environment named ${name} in ${dir}/\n`);
    return 1;
  }
  const gh = stack.github;
  const where = (scope: string) =>
    !gh ? '(no GitHub)' : scope === 'repository' ? `${gh.owner}/${gh.repository} (repository)` : scope === 'inherited' ? `${gh.owner}/${gh.repository} (repository, set by another stack)` : `${gh.owner}/${gh.repository} environment ${githubEnvironmentName(stack)}`;
  const rows = secretInventory(stack).map((s) => [s.name, s.services.join(', ') || '(deploy only)', where(s.scope), process.env[`TF_VAR_${s.name}`] ? 'set' : 'MISSING']);
  const head = ['secret', 'delivered to', 'GitHub', `TF_VAR_ here`];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write([line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n');
  const missing = rows.filter((r) => r[3] === 'MISSING').map((r) => r[0]);
  if (missing.length) {
    process.stdout.write(`\n${missing.length} secret(s) missing for ${name}: ${missing.join(', ')} (set TF_VAR_<NAME>)\n`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
