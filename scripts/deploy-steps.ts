/**
 * The decisions of the shell helpers (scripts/lib/stack.sh, used by tests and the e2e harness),
 * over lib/deploy/steps.ts where `stackyard deploy` and `down` call them in-process.
 *
 *   deploy-steps secrets <root> <stack_dir> <require|generate|placeholder>
 *       NUL-separated TF_VAR_<NAME>, value pairs on stdout for the shell to export (never printed)
 *   deploy-steps reap <stack_dir> [--adopt]          state JSON on stdin; removes orphans or refuses
 *   deploy-steps phases <stack_dir>                  state JSON on stdin; phase-1 apply arguments, one a line
 *   deploy-steps needs-migration <root> <stack_dir> [--migrate]   exit 0 when the state must be encrypted on this deploy
 *   deploy-steps down <stack_dir> [--volumes] [--github] [--yes]   asks or refuses before destroying
 *   deploy-steps volumes <stack_dir> [--volumes]     after down's destroy: deletes (--volumes) or names the labelled volumes left
 */
import * as fs from 'node:fs';
import type { SecretsMode } from '../lib/deploy/secrets';
import { confirmDown, DeployStop, deploySecrets, needsMigration, phaseOneArgs, reap, say, volumes } from '../lib/deploy/steps';

function readStdin(): string {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'secrets':
      for (const [k, v] of deploySecrets(rest[0], rest[1], (rest[2] || 'require') as SecretsMode)) process.stdout.write(`${k}\0${v}\0`);
      return 0;
    case 'reap':
      reap(rest[0], readStdin(), rest.includes('--adopt'));
      return 0;
    case 'phases':
      for (const a of phaseOneArgs(rest[0], readStdin())) process.stdout.write(a + '\n');
      return 0;
    case 'needs-migration':
      return needsMigration(rest[0], rest[1], rest.includes('--migrate')) ? 0 : 1;
    case 'down':
      for (const a of confirmDown(rest[0], rest.slice(1))) process.stdout.write(a + '\n');
      return 0;
    case 'volumes':
      volumes(rest[0], rest.includes('--volumes'));
      return 0;
    default:
      process.stderr.write('usage: deploy-steps secrets|reap|phases|needs-migration|down|volumes ...\n');
      return 2;
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof DeployStop)) throw e;
  say(e.message);
  process.exitCode = 1;
}
