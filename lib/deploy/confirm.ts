/**
 * When `down` must ask before it destroys: deleting data (`--volumes`), anything of an environment
 * marked `production: true`, and GitHub environments with their secrets (`--github`). On a
 * terminal the operator types the environment's name; without one (CI) only `--yes` proceeds.
 */

export interface DownRequest {
  readonly environment: string;
  readonly production: boolean;
  readonly volumes: boolean;
  readonly github: boolean;
  readonly yes: boolean;
  readonly interactive: boolean;
}

export type DownDecision =
  | { readonly kind: 'proceed' }
  | { readonly kind: 'ask'; readonly prompt: string }
  | { readonly kind: 'refuse'; readonly message: string };

/** What this `down` would destroy that cannot be undone, in words; [] when nothing is. */
export function irreversible(r: DownRequest): string[] {
  const what: string[] = [];
  if (r.production) what.push(`the containers and networks of production environment ${r.environment}`);
  if (r.volumes) what.push(`every data volume of ${r.environment} (databases included)`);
  if (r.github) what.push(`the GitHub environment(s) of ${r.environment} with their protection rules and secrets`);
  return what;
}

export function decideDown(r: DownRequest): DownDecision {
  const what = irreversible(r);
  if (!what.length || r.yes) return { kind: 'proceed' };
  if (r.interactive) {
    return { kind: 'ask', prompt: `This destroys ${what.join('; ')}.\nType the environment name (${r.environment}) to go on: ` };
  }
  return {
    kind: 'refuse',
    message: `refusing to destroy ${what.join('; ')} without confirmation: no terminal to ask on. Pass --yes to confirm (e.g. in CI).`,
  };
}

export function confirms(answer: string, environment: string): boolean {
  return answer.trim() === environment;
}

/**
 * `tofu destroy` arguments that keep an environment's GitHub resources (environments, their
 * protection rules, Actions secrets and variables, repository secrets other environments read):
 * one `-exclude` per GitHub resource of the stack, unless `--github` asked to destroy them too.
 */
export function keepGithubArgs(stack: { readonly resource?: Readonly<Record<string, unknown>> }, destroyGithub: boolean): string[] {
  if (destroyGithub) return [];
  const out: string[] = [];
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    if (!type.startsWith('github_') || !byName || typeof byName !== 'object') continue;
    for (const name of Object.keys(byName)) out.push(`-exclude=${type}.${name}`);
  }
  return out.sort();
}
