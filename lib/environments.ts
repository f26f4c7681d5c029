/**
 * Environment files → environment models (lib/environment.ts), every file checked together:
 * unique names, one owner per GitHub environment and repository secret. Neutral: nothing here
 * loads cdktf, so the Kubernetes target and the ops commands read the models without it;
 * lib/app.ts renders the same models into Terraform stacks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildEnvironment } from './build';
import { compareProblems, ConfigError, type Problem } from './config/errors';
import { isPartialFile, loadEnvironment, type LoadedEnvironment } from './config/load';
import { positionOf } from './config/yaml-source';
import type { Environment } from './environment';
import { formatWarning, type Finding } from './validation';

/** Lists the environment files of a folder (sorted, partial files left out). */
export function environmentFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) throw new ConfigError([{ file: dir, line: 0, col: 0, path: '', message: 'environments folder does not exist; create it or set ENVIRONMENTS_DIR' }]);
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f))
    .filter((f) => !isPartialFile(f));
}

/** Builds the models of every file (or the `only` ones); throws all problems together. */
export function buildEnvironments(files: readonly string[], only?: readonly string[]): { environments: Environment[]; warnings: Finding[] } {
  const problems: Problem[] = [];
  const warnings: Finding[] = [];
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else throw e;
      return undefined;
    }
  };
  // pass 1: load every file, check what stacks share (names, GitHub environments, repository
  // secrets). Every file, even with `only`: who owns a repository secret decides what the selected
  // stacks contain, so one environment synthesized alone is the same stack as in a full synth.
  const loaded: { file: string; env: LoadedEnvironment }[] = [];
  const names = new Map<string, string>();
  const githubOwners = new Map<string, string>();
  for (const file of files) {
    const env = collect(() => loadEnvironment(file));
    if (!env) continue;
    const previous = names.get(env.config.name);
    if (previous) {
      problems.push({ ...positionOf(env.source, ['name']), path: 'name', message: `environment name ${env.config.name} is already used by ${previous}; names must be unique` });
      continue;
    }
    names.set(env.config.name, file);
    const gh = env.config.github;
    if (gh) {
      const key = `${gh.owner}/${gh.repository} environment ${gh.environment ?? env.config.name}`;
      const owner = githubOwners.get(key);
      if (owner) problems.push({ ...positionOf(env.source, ['github']), path: 'github', message: `GitHub ${key} is already managed by ${owner}; give this stack its own \`github.environment\`` });
      else githubOwners.set(key, file);
      gh.repositorySecrets.forEach((s, i) => {
        const k = `${gh.owner}/${gh.repository} repository secret ${s}`;
        const o = githubOwners.get(k);
        if (o) problems.push({ ...positionOf(env.source, ['github', 'repositorySecrets', i]), path: `github.repositorySecrets.${i}`, message: `${k} is already managed by ${o}; list a shared secret under repositorySecrets in one environment file only` });
        else githubOwners.set(k, file);
      });
    }
    loaded.push({ file, env });
  }
  // pass 2: build; a secret another stack keeps at repository level is not copied per environment
  const environments: Environment[] = [];
  for (const { env } of loaded) {
    if (only && !only.includes(env.config.name)) continue;
    const gh = env.config.github;
    const elsewhere = gh
      ? env.config.secrets.filter((s) => !gh.repositorySecrets.includes(s) && githubOwners.has(`${gh.owner}/${gh.repository} repository secret ${s}`))
      : [];
    const environment = collect(() => buildEnvironment(env, { repositorySecretsElsewhere: elsewhere, onWarning: (w) => warnings.push(w) }));
    if (environment) environments.push(environment);
  }
  if (problems.length) throw new ConfigError(problems);
  return { environments, warnings: warnings.sort(compareProblems) };
}

/**
 * A folder's environment models, for reports, the ops commands and the Kubernetes target; nothing
 * is written. Warnings go to `onWarning` (formatted, positioned) when given.
 */
export function loadEnvironments(dir: string, only?: readonly string[], onWarning?: (line: string) => void): Environment[] {
  const { environments, warnings } = buildEnvironments(environmentFiles(dir), only);
  if (onWarning) for (const w of warnings) onWarning(formatWarning(w));
  return environments;
}
