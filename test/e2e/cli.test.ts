/**
 * `stackyard` on the real engine: the deploy lock on the environment's first host blocks a
 * second deployer (naming who, since when, why), the audit lists the run's deploys, releases
 * are pruned beyond --keep-releases, and rollback deploys the previous release's tag through
 * the normal deploy. One small environment (one container of the demo image, tagged per release
 * under a repository only this test uses). Run alone: npm run test:e2e -- test/e2e/cli.test.ts
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactSchema } from '../../lib/plan/artifact';
import { ROOT, toolEnv } from './harness';

const ENV = 'clie2e';
const DIR = path.join(ROOT, '.stackyard', 'cli-e2e-environments');
const REPO = 'stackyard-cli-test/app';
const BIN = path.join(ROOT, 'dist', 'bin', 'stackyard.js');
const PASSPHRASE = 'cli-e2e-passphrase-0123456789';

function stackyard(args: string[], extra: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT, encoding: 'utf8', input: '',
    env: toolEnv({ ENVIRONMENTS_DIR: DIR, STACKYARD_SKIP_BUILD: '1', TF_VAR_STATE_PASSPHRASE: PASSPHRASE, STACKYARD_WHO: 'ci-runner', ...extra }),
  });
  return { status: r.status, out: r.stdout + r.stderr, stdout: r.stdout };
}

const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8' });
const imageId = (ref: string) => docker('image', 'inspect', '--format', '{{.Id}}', ref).stdout.trim();
const runningImage = () => docker('ps', '--filter', `label=stackyard.environment=${ENV}`, '--format', '{{.ID}}').stdout.trim().split('\n').filter(Boolean)
  .map((id) => docker('inspect', '--format', '{{.Image}}', id).stdout.trim());

function cleanUp(): void {
  stackyard(['down', ENV, '--volumes', '--yes']);
  docker('rm', '-f', `stackyard-lock-${ENV}`, `stackyard-records-${ENV}`);
  docker('volume', 'rm', `stackyard-records-${ENV}`);
  fs.rmSync(path.join(ROOT, '.stackyard', 'state', `${ENV}.tfstate`), { force: true });
}

beforeAll(() => {
  // r1 and r3 are the demo image's version 1, r2 its version 2 (scripts/images.sh builds both)
  for (const [tag, from] of [['r1', '1'], ['r2', '2'], ['r3', '1']]) expect(docker('tag', `stackyard/demo-app:${from}`, `${REPO}:${tag}`).status).toBe(0);
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(path.join(DIR, `${ENV}.yaml`), [
    `name: ${ENV}`,
    'protectVolumes: false',
    'hosts:',
    '  main: { docker: "unix:///var/run/docker.sock", address: 127.0.0.1 }',
    `release: { tag: r1, images: [${REPO}] }`,
    'services:',
    `  app: { kind: service, image: ${REPO}, port: 8000, health: /api/health }`,
    '',
  ].join('\n'));
  cleanUp();
});

afterAll(() => {
  cleanUp();
  for (const tag of ['r1', 'r2', 'r3']) docker('rmi', `${REPO}:${tag}`);
});

describe('stackyard on the real engine', () => {
  it('deploy records the release on the first host', () => {
    const r = stackyard(['deploy', ENV], { TF_VAR_RELEASE_TAG: 'r1' });
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/plan for clie2e: \d+ to add, 0 to change, 0 to destroy/);
    expect(runningImage()).toEqual([imageId(`${REPO}:r1`)]);
  });

  it('plan shows what a deploy of another release would change, for a terminal and as --json, and changes nothing', () => {
    const before = runningImage();
    const p = stackyard(['plan', ENV], { TF_VAR_RELEASE_TAG: 'r2' });
    expect(p.status, p.out).toBe(0);
    expect(p.stdout).toMatch(/^- clie2e: \d+ to add, \d+ to change, [1-9]\d* to replace, \d+ to destroy$/m);
    expect(p.stdout).toMatch(/^- clie2e: replace docker_container\.svc_app_1 \(app on main\), forced by image/m);
    // the image by its reference, not only its resource name
    expect(p.stdout).toContain(`${REPO}:r2`);
    // the comment's content without its Markdown and HTML
    expect(p.stdout).not.toMatch(/\*\*|<details>|<summary>|`/);
    const json = stackyard(['plan', ENV, '--json'], { TF_VAR_RELEASE_TAG: 'r2' });
    expect(json.status, json.out).toBe(0);
    const artifact = ArtifactSchema.parse(JSON.parse(json.stdout));
    expect(artifact.plans.map((x) => x.name)).toEqual([ENV]);
    expect(artifact.plans[0].changes.find((c) => c.address === 'docker_container.svc_app_1')).toMatchObject({ action: 'replace', host: 'main', service: 'app' });
    expect(runningImage()).toEqual(before);
  });

  it('a lock someone else holds blocks a second deploy, naming who, since when and why; nothing changes', () => {
    const before = runningImage();
    const take = stackyard(['lock', ENV, 'acquire', '-m', 'maintenance window'], { STACKYARD_WHO: 'alice@laptop' });
    expect(take.status, take.out).toBe(0);
    const status = stackyard(['lock', ENV, 'status', '--json']);
    expect(status.status).toBe(75);
    expect(JSON.parse(status.stdout)).toMatchObject({ locked: true, environment: ENV, holder: 'alice@laptop', message: 'maintenance window', run: false });
    const blocked = stackyard(['deploy', ENV], { TF_VAR_RELEASE_TAG: 'r2', STACKYARD_WHO: 'bob@ci' });
    expect(blocked.status).toBe(75);
    expect(blocked.out).toMatch(/clie2e is locked, held by alice@laptop since \d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ min ago\): maintenance window; nothing was deployed/);
    expect(runningImage()).toEqual(before);
    expect(stackyard(['lock', ENV, 'release'], { STACKYARD_WHO: 'bob@ci' }).status).toBe(75);
    expect(stackyard(['lock', ENV, 'release'], { STACKYARD_WHO: 'alice@laptop' }).status).toBe(0);
    expect(stackyard(['lock', ENV, 'status']).out).toContain(`${ENV} is not locked`);
  });

  it('later releases prune images beyond --keep-releases; audit lists the deploys newest first', () => {
    expect(stackyard(['deploy', ENV], { TF_VAR_RELEASE_TAG: 'r2' }).status).toBe(0);
    const third = stackyard(['deploy', ENV, '--keep-releases', '2'], { TF_VAR_RELEASE_TAG: 'r3' });
    expect(third.status, third.out).toBe(0);
    expect(third.out).toContain(`pruned image ${REPO}:r1 on unix:///var/run/docker.sock`);
    expect(imageId(`${REPO}:r1`)).toBe('');
    expect(imageId(`${REPO}:r2`)).not.toBe('');
    const audit = stackyard(['audit', ENV, '--json']);
    expect(audit.status).toBe(0);
    const records = audit.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((r) => `${r.action} ${r.tag} ${r.result} ${r.who}`)).toEqual(['deploy r3 success ci-runner', 'deploy r2 success ci-runner', 'deploy r1 success ci-runner']);
    expect(records[0].headline).toMatch(/^\d+ to add, \d+ to change, \d+ to destroy$/);
    expect(Date.parse(records[0].at)).toBeGreaterThan(Date.parse(records[2].at));
    // the lock each run took for itself is gone again
    expect(docker('container', 'inspect', `stackyard-lock-${ENV}`).status).not.toBe(0);
  });

  it('rollback deploys the previous release through the normal deploy, and the record says so', () => {
    const r = stackyard(['rollback', ENV]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('rolling clie2e back to release r2');
    expect(runningImage()).toEqual([imageId(`${REPO}:r2`)]);
    const releases = stackyard(['releases', ENV, '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(releases.map((x) => `${x.action} ${x.tag}`)).toEqual(['rollback r2', 'deploy r3', 'deploy r2', 'deploy r1']);
    const unknown = stackyard(['rollback', ENV, 'r9']);
    expect(unknown.status).toBe(1);
    expect(unknown.out).toContain('clie2e has no release r9 in its record; its releases, newest first: r2, r3, r1');
  });
});
