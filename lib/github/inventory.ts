/**
 * What the GitHub target decides from the model alone, without cdktf: the GitHub environment's
 * name, the branches that deploy, where each declared secret lives. lib/github/render.ts renders
 * them; the workflows and `stackyard secrets` read them without loading a Terraform stack.
 */
import type { Environment } from '../environment';
import { secretsIn } from '../service';

/** Where a secret lives on GitHub: one place per secret. */
export interface SecretPlacement {
  readonly name: string;
  /** environment: this stack sets it per environment; repository: this stack sets it for the whole repository; inherited: another stack does. */
  readonly scope: 'environment' | 'repository' | 'inherited';
  readonly services: readonly string[];
}

/** The branches that deploy: the deploy workflow's push trigger and the environment's branch policy. */
export function deployBranches(gh: NonNullable<Environment['github']>): readonly string[] {
  return gh.branches ?? [gh.defaultBranch];
}

export function githubEnvironmentName(model: Environment): string | undefined {
  return model.github ? model.github.environment ?? model.environmentName : undefined;
}

/** Every declared secret, where it goes on GitHub, and which services read it. */
export function secretInventory(model: Environment): SecretPlacement[] {
  const shared = new Set(model.github?.repositorySecrets ?? []);
  const users = new Map<string, Set<string>>();
  for (const s of model.services) {
    const names = [...s.secrets.map((x) => x.name), ...s.files.flatMap(secretsIn)];
    for (const n of names) (users.get(n) ?? users.set(n, new Set()).get(n)!).add(s.serviceName);
  }
  for (const r of model.registries) (users.get(r.passwordSecret) ?? users.set(r.passwordSecret, new Set()).get(r.passwordSecret)!).add(`(registry ${r.address})`);
  const inherited = new Set(model.repositorySecretsElsewhere);
  return model.secretNames.map((name) => ({
    name,
    scope: shared.has(name) ? 'repository' : inherited.has(name) ? 'inherited' : 'environment',
    services: [...(users.get(name) ?? [])].sort(),
  }));
}
