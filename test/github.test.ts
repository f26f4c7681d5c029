/** The GitHub side of each environment: environment protection, secrets from variables only, variables. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';
import { environmentFiles, loadEnvironments } from '../lib/environments';
import { secretInventory } from '../lib/github/inventory';
import { errors, MINIMAL, shared, synth, tempDir, writeFiles } from './helpers';
import { workflowFiles } from '../scripts/workflows';

const root = path.resolve(__dirname, '..');
/** The bundled environments, synthesized by the first test that needs them (see `shared`). */
const bundled = shared(() => {
  const { app, environments } = buildApp(environmentFiles(path.join(root, 'environments')), path.join(tempDir(), 'out'));
  app.synth();
  return { outdir: app.outdir, environments };
});
const json = (name: string) => JSON.parse(fs.readFileSync(path.join(bundled().outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
const stack = (name: string) => bundled().environments.find((s) => s.environmentName === name)!;

describe('GitHub environments', () => {
  it('local creates no GitHub resource and no GitHub provider', () => {
    const local = json('local');
    expect(Object.keys(local.resource).filter((k) => k.startsWith('github'))).toEqual([]);
    expect(Object.keys(local.data ?? {})).toEqual([]);
    expect(local.provider.github).toBeUndefined();
  });

  it('production needs approval by a team and deploys only from release branches', () => {
    const p = json('production');
    expect(p.resource.github_repository_environment.github_environment).toMatchObject({
      environment: 'production',
      repository: 'platform',
      wait_timer: 5,
      prevent_self_review: true,
      can_admins_bypass: false,
      reviewers: [{ teams: ['${data.github_team.reviewer_team_platform_leads.id}'] }],
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
    });
    expect(p.data.github_team.reviewer_team_platform_leads.slug).toBe('platform-leads');
    expect(Object.values(p.resource.github_repository_environment_deployment_policy).filter((x: any) => x.environment.includes('.github_environment.')).map((x: any) => x.branch_pattern)).toEqual(['release/*']);
    expect(p.provider.github).toEqual([{ owner: 'acme' }]);
  });

  it('puts every declared secret exactly once, in the protected environment only, its value only a reference to the sensitive variable', () => {
    for (const name of ['staging', 'production']) {
      const s = json(name);
      const { github_plan_secret_versions: versions, ...values } = s.resource.github_actions_environment_secret ?? {};
      const envSecrets = Object.values(values) as any[];
      // the plan environment gets the recorded versions of the secrets (keyed hashes), never a value
      expect(versions).toMatchObject({ environment: '${github_repository_environment.github_plan_environment.environment}', secret_name: 'STACKYARD_SECRET_VERSIONS', plaintext_value: '${jsonencode(var.STACKYARD_SECRET_VERSIONS)}' });
      const repoSecrets = Object.values(s.resource.github_actions_secret ?? {}) as any[];
      for (const x of [...envSecrets, ...repoSecrets]) expect(x.plaintext_value).toBe(`\${var.${x.secret_name}}`);
      // the state passphrase is a bootstrap secret: never copied to GitHub by the stack it decrypts
      const declared = Object.keys(s.variable).filter((v) => s.variable[v].sensitive && v !== 'STATE_PASSPHRASE' && v !== 'STACKYARD_SECRET_VERSIONS').sort();
      expect(envSecrets.map((x) => x.secret_name)).not.toContain('STATE_PASSPHRASE');
      // GHCR_TOKEN lives at repository level, set by production only
      const perEnvironment = declared.filter((d) => d !== 'GHCR_TOKEN');
      expect(envSecrets.map((x) => x.environment).every((e) => e === '${github_repository_environment.github_environment.environment}')).toBe(true);
      expect(envSecrets.map((x) => x.secret_name).sort(), name).toEqual(perEnvironment);
      // the plan environment holds no deploy secret, and only the default branch may use it (any
      // other protected branch that accepts pushes could otherwise run a workflow in it)
      const plan = s.resource.github_repository_environment.github_plan_environment;
      expect(plan).toMatchObject({ environment: `${name}-plan`, deployment_branch_policy: { protected_branches: false, custom_branch_policies: true } });
      expect(plan.reviewers).toBeUndefined();
      const planPolicies = Object.values(s.resource.github_repository_environment_deployment_policy).filter((x: any) => x.environment.includes('github_plan_environment'));
      expect(planPolicies).toEqual([{ '//': expect.anything(), provider: 'github', repository: 'platform', environment: '${github_repository_environment.github_plan_environment.environment}', branch_pattern: 'main' }]);
    }
    expect(Object.keys(json('production').resource.github_actions_secret)).toEqual(['github_repository_secret_GHCR_TOKEN']);
    expect(json('staging').resource.github_actions_secret).toBeUndefined();
  });

  it('derives the inventory from the model: which services read which secret', () => {
    const inv = Object.fromEntries(secretInventory(stack('production')).map((s) => [s.name, s]));
    expect(inv.JWT_SECRET).toEqual({ name: 'JWT_SECRET', scope: 'environment', services: ['backend', 'orchestrator'] });
    expect(inv.CRYPTOPANIC_API_KEY.services).toEqual(['orchestrator']);
    expect(inv.GHCR_TOKEN).toEqual({ name: 'GHCR_TOKEN', scope: 'repository', services: ['(registry ghcr.io)'] });
    expect(inv.SSH_PRIVATE_KEY.services).toEqual([]);
    expect(secretInventory(stack('staging')).find((s) => s.name === 'GHCR_TOKEN')!.scope).toBe('inherited');
  });

  it('turns non-secret settings into environment variables', () => {
    const vars = Object.values(json('staging').resource.github_actions_environment_variable).filter((v: any) => !v.environment.includes('plan')).map((v: any) => [v.variable_name, v.value]);
    expect(vars).toEqual([['API_URL', 'https://api.staging.example.com'], ['STACKYARD_ENVIRONMENT', 'staging']]);
  });

  it('logs every host in to the private registry with the token variable', () => {
    expect(json('production').provider.docker[0].registry_auth).toEqual([{ address: 'ghcr.io', username: 'acme-deploy', password: '${var.GHCR_TOKEN}' }]);
  });
});

describe('releases', () => {
  it('tags application images with RELEASE_TAG, defaulting to the pinned tag; others keep theirs', () => {
    const p = json('production');
    expect(p.variable.RELEASE_TAG.default).toBe('sha-4f2c9e1');
    const names = Object.values(p.resource.docker_image).map((i: any) => i.name).sort();
    expect(names).toEqual(['ghcr.io/acme/backend:${var.RELEASE_TAG}', 'ghcr.io/acme/frontend:${var.RELEASE_TAG}', 'postgres:17.6', 'redis:7.4.5', 'traefik:v3.6.12']);
  });

  it('applies the production pinning rule to the release default', () => {
    const out = errors({ 'env.yaml': MINIMAL.replace('name: test', 'name: test\nproduction: true\nrelease: { tag: latest, images: [ghcr.io/acme/api] }').replace('    tag: "1.0"\n', '').replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, tag: "17.6", password: DB_PASSWORD }').replace('entrypoints: { web: 8001 } }', 'entrypoints: { web: 8001 }, version: v3.6.12 }') });
    expect(out).toEqual(['env.yaml:3:12 release.tag: image ghcr.io/acme/api:latest is not pinned; production needs a fixed tag (e.g. tag: "sha-a1b2c3d" or "17.6"), used by api']);
  });
});

describe('branch policies when github.branches is not given', () => {
  const gh = (extra: string) => synth({ 'env.yaml': ['name: gh', 'hosts: { core: { docker: "unix:///var/run/docker.sock" } }', `github: { owner: acme, repository: platform, planEnvironment: true${extra} }`, 'services: {}'].join('\n') }).gh;
  const policies = (j: any) => Object.values(j.resource.github_repository_environment_deployment_policy ?? {}).map((x: any) => [x.environment.replace(/^\$\{github_repository_environment\.(\w+)\.environment\}$/, '$1'), x.branch_pattern]).sort();

  it('the environment takes the deploy workflow\'s branches (the default branch), not any branch', () => {
    const j = gh('');
    expect(j.resource.github_repository_environment.github_environment.deployment_branch_policy).toEqual({ protected_branches: false, custom_branch_policies: true });
    expect(policies(j)).toEqual([['github_environment', 'main'], ['github_plan_environment', 'main']]);
  });

  it('github.defaultBranch moves both policies and the deploy workflow\'s trigger', () => {
    const j = gh(', defaultBranch: trunk');
    expect(policies(j)).toEqual([['github_environment', 'trunk'], ['github_plan_environment', 'trunk']]);
    const dir = writeFiles({ 'gh.yaml': ['name: gh', 'hosts: { core: { docker: "unix:///var/run/docker.sock" } }', 'github: { owner: acme, repository: platform, defaultBranch: trunk }', 'services: {}'].join('\n') });
    expect(workflowFiles(dir).get('deploy-gh.yml')).toContain('    branches: ["trunk"]');
  });

  it('github.branches limits the deploy environment; the plan environment stays on the default branch', () => {
    expect(policies(gh(', branches: ["release/*"]'))).toEqual([['github_environment', 'release/*'], ['github_plan_environment', 'main']]);
  });

  it('without reviewers and outside production, the environment sets no approval fields (GitHub keeps its own defaults)', () => {
    const e = gh('').resource.github_repository_environment.github_environment;
    expect(e.reviewers).toBeUndefined();
    expect(e.prevent_self_review).toBeUndefined();
    expect(e.can_admins_bypass).toBeUndefined();
  });

  it('reviewers given as users only: one reviewers block with the users and no teams key', () => {
    const j = gh(', reviewers: { users: [alice, bob] }');
    const e = j.resource.github_repository_environment.github_environment;
    expect(e.reviewers).toEqual([{ users: ['${data.github_user.reviewer_user_alice.id}', '${data.github_user.reviewer_user_bob.id}'] }]);
    // each id is looked up by that user's login, through the environment's provider
    expect(j.data.github_user).toMatchObject({ reviewer_user_alice: { provider: 'github', username: 'alice' }, reviewer_user_bob: { provider: 'github', username: 'bob' } });
    expect(e.prevent_self_review).toBe(true);
    expect(e.can_admins_bypass).toBeUndefined();
  });

  it('reviewers given as teams only: each team looked up by slug, members not listed (summary only), no users key', () => {
    const j = gh(', reviewers: { teams: [ops] }');
    expect(j.resource.github_repository_environment.github_environment.reviewers).toEqual([{ teams: ['${data.github_team.reviewer_team_ops.id}'] }]);
    expect(j.data.github_team).toMatchObject({ reviewer_team_ops: { provider: 'github', slug: 'ops', summary_only: true } });
  });

  it('refuses a default branch that is a pattern', () => {
    expect(errors({ 'env.yaml': MINIMAL.replace('name: test', 'name: test\ngithub: { owner: acme, repository: platform, defaultBranch: "release/*" }') })[0]).toMatch(/^env\.yaml:2:\d+ github\.defaultBranch: a branch name/);
  });
});

describe('GitHub bad input', () => {
  const withGithub = (extra: string) => MINIMAL.replace('name: test', `name: test\n${extra}`);
  it('a secret used by a service but not declared', () => {
    expect(errors({ 'env.yaml': withGithub('github: { owner: acme, repository: platform }').replace('secrets: [JWT_SECRET]', 'secrets: [JWT_SECRET, SMTP_PASSWORD]') })).toEqual([
      'env.yaml:17:5 services.api.secrets: uses secret SMTP_PASSWORD, which is not declared; add it to the top-level `secrets:` list',
    ]);
  });
  it('a GitHub environment reused by two stack files', () => {
    const a = withGithub('github: { owner: acme, repository: platform, environment: shared }');
    const b = a.replace('name: test', 'name: other').replace('environment: shared }', 'environment: shared, waitTimer: 5 }');
    expect(errors({ 'a.yaml': a, 'b.yaml': b }, ['a.yaml', 'b.yaml'])).toEqual([
      'b.yaml:2:1 github: GitHub acme/platform environment shared is already managed by a.yaml; give this stack its own `github.environment`',
    ]);
  });
  it('no reviewers for a production environment', () => {
    const out = errors({ 'env.yaml': withGithub('production: true\ngithub: { owner: acme, repository: platform, reviewers: { users: [] } }').replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, tag: "17.6", password: DB_PASSWORD }').replace('entrypoints: { web: 8001 } }', 'entrypoints: { web: 8001 }, version: v3.6.12 }') });
    expect(out).toEqual(['env.yaml:3:46 github.reviewers: a production environment needs at least one reviewer (users or teams) to approve deploys; add `reviewers: { teams: [...] }`']);
    // one user and one team (two reviewers, however they are counted) are enough
    const prod = (reviewers: string) => withGithub(`production: true\ngithub: { owner: acme, repository: platform, reviewers: ${reviewers} }`).replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, tag: "17.6", password: DB_PASSWORD }').replace('entrypoints: { web: 8001 } }', 'entrypoints: { web: 8001 }, version: v3.6.12 }');
    expect(loadEnvironments(writeFiles({ 'env.yaml': prod('{ users: [alice], teams: [ops] }') }))[0].production).toBe(true);
  });
  it('a registry without a declared credentials secret', () => {
    expect(errors({ 'env.yaml': withGithub('registries: [{ address: ghcr.io, username: bot, passwordSecret: GHCR_TOKEN }]') })).toEqual([
      'env.yaml:2:49 registries.0.passwordSecret: registry ghcr.io needs its credentials: secret GHCR_TOKEN is not declared; add it to the top-level `secrets:` list',
    ]);
    expect(errors({ 'env.yaml': withGithub('registries: [{ address: ghcr.io, username: bot }]') })).toEqual([
      'env.yaml:2:14 registries.0.passwordSecret: is required (expected a string)',
    ]);
  });
  it('a repository secret claimed by two stacks', () => {
    const a = withGithub('github: { owner: acme, repository: platform, repositorySecrets: [JWT_SECRET] }');
    const b = a.replace('name: test', 'name: other').replace('repository: platform,', 'repository: platform, environment: other,');
    expect(errors({ 'a.yaml': a, 'b.yaml': b }, ['a.yaml', 'b.yaml'])).toEqual([
      'b.yaml:2:86 github.repositorySecrets.0: acme/platform repository secret JWT_SECRET is already managed by a.yaml; list a shared secret under repositorySecrets in one environment file only',
    ]);
  });
});

describe('deploy workflows', () => {
  it('are current (run `npm run workflows` after changing environments)', () => {
    const files = workflowFiles(path.join(root, 'environments'));
    expect([...files.keys()].sort()).toEqual(['deploy-production.yml', 'deploy-staging.yml', 'plan-comment.yml', 'plan.yml']);
    for (const [name, text] of files) expect(fs.readFileSync(path.join(root, '.github', 'workflows', name), 'utf8'), name).toBe(text);
  });
});

describe('GitHub variables are text, never Terraform expressions', () => {
  it('escapes ${...} and %{...} typed into a github.variables value', () => {
    const files = {
      'env.yaml': [
        'name: gh',
        'hosts: { core: { docker: "unix:///var/run/docker.sock" } }',
        'github: { owner: acme, repository: platform, environment: gh, variables: { BANNER: "${file(\\"/etc/hostname\\")} %{ if true }x%{ endif }" } }',
        'services: {}',
      ].join('\n'),
    };
    const json = synth(files).gh;
    const v = json.resource.github_actions_environment_variable.github_variable_BANNER;
    expect(v.value).toBe('$${file("/etc/hostname")} %%{ if true }x%%{ endif }');
  });
});
