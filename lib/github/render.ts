/**
 * GitHub target: the environment's GitHub environment (protection rules, reviewers, branch
 * policy), its Actions secrets (values only from the sensitive Terraform variables) and
 * variables. The provider takes its token from GITHUB_TOKEN at deploy time.
 */
import { DataGithubTeam } from '@cdktf/provider-github/lib/data-github-team';
import { DataGithubUser } from '@cdktf/provider-github/lib/data-github-user';
import { ActionsEnvironmentSecret } from '@cdktf/provider-github/lib/actions-environment-secret';
import { ActionsEnvironmentVariable } from '@cdktf/provider-github/lib/actions-environment-variable';
import { ActionsSecret } from '@cdktf/provider-github/lib/actions-secret';
import { GithubProvider } from '@cdktf/provider-github/lib/provider';
import { RepositoryEnvironment } from '@cdktf/provider-github/lib/repository-environment';
import { RepositoryEnvironmentDeploymentPolicy } from '@cdktf/provider-github/lib/repository-environment-deployment-policy';
import { Token } from 'cdktf';
import type { EnvironmentStack } from '../terraform/stack';
import { deployBranches, githubEnvironmentName, secretInventory } from './inventory';
import { PLAN_VERSIONS_SECRET, SECRET_VERSIONS_VARIABLE } from '../deploy/secret-versions';
import { slug, terraformLiteral } from '../values';

/**
 * The prebuilt bindings were generated for integrations/github 6.9.0; the Go module proxy here
 * serves 6.6.0, whose schema has every resource used below. Both are allowed.
 */
export const GITHUB_PROVIDER_CONSTRAINT = '>= 6.6.0, < 7.0.0';

export function renderGithub(stack: EnvironmentStack): void {
  const model = stack.model;
  const gh = model.github;
  if (!gh) return;
  stack.addOverride('terraform.required_providers.github.version', GITHUB_PROVIDER_CONSTRAINT);
  const provider = new GithubProvider(stack, 'github', { owner: gh.owner });
  const environment = githubEnvironmentName(model)!;
  const users = gh.reviewers.users.map((u) => {
    const d = new DataGithubUser(stack, `reviewer_user_${u}`, { provider, username: u });
    d.overrideLogicalId(`reviewer_user_${slug(u)}`);
    return Token.asNumber(d.id);
  });
  const teams = gh.reviewers.teams.map((t) => {
    const d = new DataGithubTeam(stack, `reviewer_team_${t}`, { provider, slug: t, summaryOnly: true });
    d.overrideLogicalId(`reviewer_team_${slug(t)}`);
    return Token.asNumber(d.id);
  });
  const env = new RepositoryEnvironment(stack, 'github_environment', {
    provider,
    repository: gh.repository,
    environment,
    waitTimer: gh.waitTimer,
    preventSelfReview: users.length + teams.length > 0 ? true : undefined,
    canAdminsBypass: model.production ? false : undefined,
    reviewers: users.length + teams.length > 0 ? [{ users: users.length ? users : undefined, teams: teams.length ? teams : undefined }] : undefined,
    // only the branches the deploy workflow runs on (deployBranches) may read its secrets
    deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
  });
  env.overrideLogicalId('github_environment');
  deployBranches(gh).forEach((pattern) => {
    const p = new RepositoryEnvironmentDeploymentPolicy(stack, `github_branch_${pattern}`, { provider, repository: gh.repository, environment: env.environment, branchPattern: pattern });
    p.overrideLogicalId(`github_branch_${slug(pattern)}`);
  });
  const targets = [{ id: '', environment: env.environment }];
  if (gh.planEnvironment) {
    // for pull-request plans (.github/workflows/plan-comment.yml): the variables, and no secret
    // value at all; it holds only the read-only plan identity, set by hand (README "Security model")
    // only the default branch may use it (plan-comment.yml runs there): a workflow pushed on any
    // other branch, protected or not, cannot reach the plan identity or the state passphrase
    const plan = new RepositoryEnvironment(stack, 'github_plan_environment', {
      provider,
      repository: gh.repository,
      environment: `${environment}-plan`,
      deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
    });
    plan.overrideLogicalId('github_plan_environment');
    const policy = new RepositoryEnvironmentDeploymentPolicy(stack, 'github_plan_branch', { provider, repository: gh.repository, environment: plan.environment, branchPattern: gh.defaultBranch });
    policy.overrideLogicalId('github_plan_branch');
    targets.push({ id: 'plan_', environment: plan.environment });
  }
  for (const s of secretInventory(model)) {
    const value = stack.secretExpression(s.name);
    if (s.scope === 'inherited') continue;
    if (s.scope === 'repository') {
      // repository secrets reach every environment's jobs, the plan jobs too: the plan workflow
      // never references them (test/workflows.test.ts), and it runs only the default branch's code
      const r = new ActionsSecret(stack, `github_repository_secret_${s.name}`, { provider, repository: gh.repository, secretName: s.name, plaintextValue: value });
      r.overrideLogicalId(`github_repository_secret_${s.name}`);
      continue;
    }
    const r = new ActionsEnvironmentSecret(stack, `github_secret_${s.name}`, { provider, repository: gh.repository, environment: env.environment, secretName: s.name, plaintextValue: value });
    r.overrideLogicalId(`github_secret_${s.name}`);
  }
  if (gh.planEnvironment && model.recordsSecretVersions) {
    // the versions of the values just deployed (keyed hashes, never a value) for pull-request plans
    // (lib/deploy/secret-versions.ts); a maintainer may set it ahead of a deploy to announce a rotation
    const r = new ActionsEnvironmentSecret(stack, 'github_plan_secret_versions', {
      provider, repository: gh.repository, environment: targets[1].environment, secretName: PLAN_VERSIONS_SECRET,
      plaintextValue: `\${jsonencode(var.${SECRET_VERSIONS_VARIABLE})}`,
    });
    r.overrideLogicalId('github_plan_secret_versions');
  }
  const variables: Record<string, string> = { STACKYARD_ENVIRONMENT: model.environmentName, ...gh.variables };
  // the synthesized JSON lists resources by logical id, so the order here does not show
  for (const [name, value] of Object.entries(variables)) {
    for (const t of targets) {
      const v = new ActionsEnvironmentVariable(stack, `github_${t.id}variable_${name}`, { provider, repository: gh.repository, environment: t.environment, variableName: name, value: terraformLiteral(value) });
      v.overrideLogicalId(`github_${t.id}variable_${name}`);
    }
  }
}

