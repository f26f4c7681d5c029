/**
 * Plan summaries rendered from real plans: test/fixtures/plans/*.json are `tofu show -json`
 * output of real scenarios against the real engine (regenerate with `npm run plan:fixtures`).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/config/errors';
import { COMMENT_MARKER, parsePlan, renderSummary } from '../lib/plan/summary';
import { tempDir } from './helpers';

const dir = path.join(__dirname, 'fixtures', 'plans');
const fixture = (name: string) => parsePlan(name, fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
const summary = (name: string) => renderSummary([fixture(name)]);
const cli = path.resolve(__dirname, '..', 'dist', 'scripts', 'plan-summary.js');
const fixtureValues = ['fixture-db-password', 'fixture-redis-password', 'fixture-jwt-secret', 'fixture-rotated'];

describe('plan summary of real plans', () => {
  it('first deploy: everything added, nothing flagged', () => {
    const s = summary('first-deploy');
    expect(s.markdown.startsWith(COMMENT_MARKER)).toBe(true);
    expect(s.markdown).toMatch(/\*\*first-deploy\*\*: \d+ to add, 0 to change, 0 to replace, 0 to destroy/);
    expect(s.dataLoss).toBe(false);
    expect(s.markdown).not.toContain('Replaced or destroyed');
    expect(s.markdown).toContain('#### core / backend');
  });

  it('no change: says so, and nothing else', () => {
    const s = summary('no-change');
    expect(s.markdown).toContain('**no-change**: no changes');
    expect(s.markdown).not.toContain('<details>');
  });

  it('replica count change: one container added, grouped under its host and service', () => {
    const p = fixture('replicas');
    expect(p.changes.map((c) => [c.action, c.address])).toEqual([['create', 'docker_container.svc_frontend_3']]);
    expect(summary('replicas').markdown).toContain('**replicas**: 1 to add, 0 to change, 0 to replace, 0 to destroy');
  });

  it('image tag change: backend replicas replaced, counted apart from updates, with the attribute that forces it', () => {
    const p = fixture('image-tag');
    expect(p.changes.filter((c) => c.action === 'replace').map((c) => c.address).sort()).toEqual(['docker_container.svc_backend_1', 'docker_container.svc_backend_2']);
    const s = summary('image-tag');
    expect(s.markdown).toContain('1 to add, 0 to change, 2 to replace, 0 to destroy');
    expect(s.markdown).toContain('- image-tag: replace `docker_container.svc_backend_1` (backend on core), forced by `image`');
    expect(s.markdown).toMatch(/`image`: `sha256:[0-9a-f]{12}[^`]*` → _\(known after apply\)_ _\(forces replacement\)_/);
    expect(s.dataLoss).toBe(false);
  });

  it('Postgres major version change: loud data-loss warning on the stateful service', () => {
    const s = summary('postgres-major');
    expect(s.dataLoss).toBe(true);
    expect(s.markdown).toContain('> [!CAUTION]');
    expect(s.markdown).toContain('> - postgres-major: replace of postgres `db` on core (`docker_container.svc_db_1`)');
    // the volume itself is kept
    expect(fixture('postgres-major').changes.some((c) => c.type === 'docker_volume')).toBe(false);
  });

  it('a removed image is named by its reference, its address beside it', () => {
    const p = fixture('postgres-major');
    expect(p.changes.filter((c) => c.type === 'docker_image').map((c) => [c.action, c.name])).toEqual([['delete', 'postgres:17'], ['create', 'postgres:18']]);
    const md = summary('postgres-major').markdown;
    expect(md).toContain('- postgres-major: delete image `postgres:17` on core (`docker_image.image_core_postgres_17`)');
    expect(md).toContain('- `-` delete `docker_image.image_core_postgres_17`: image `postgres:17`');
    expect(md).toContain('- `+` create `docker_image.image_core_postgres_18`: image `postgres:18`');
    expect(md).not.toContain('(images) on core');
  });

  it('removed service: listed at the top as destroyed', () => {
    const s = summary('remove-service');
    expect(s.markdown).toContain('0 to add, 0 to change, 0 to replace, 1 to destroy');
    expect(s.markdown).toContain('- remove-service: delete `docker_container.svc_watcher_1` (watcher on core)');
  });

  it('secret value change: replaced containers shown with the value masked, never printed', () => {
    const s = summary('secret-change');
    expect(s.markdown).toMatch(/`upload[^`]*`: _\(sensitive\)_ → _\(sensitive\)_ _\(forces replacement\)_/);
    for (const v of fixtureValues) expect(s.markdown).not.toContain(v);
  });

  it('several stacks in one comment, each with its headline', () => {
    const s = renderSummary(['no-change', 'image-tag', 'postgres-major'].map(fixture));
    expect(s.markdown.match(/^- \*\*[a-z-]+\*\*: /gm)).toHaveLength(3);
  });

  it('stays under the comment limit, keeps the summary and says what was cut', () => {
    const full = renderSummary(['first-deploy', 'image-tag', 'postgres-major'].map(fixture));
    const limit = 2500;
    const cut = renderSummary(['first-deploy', 'image-tag', 'postgres-major'].map(fixture), limit);
    expect(full.markdown.length).toBeGreaterThan(limit);
    expect(cut.truncated).toBe(true);
    expect(cut.markdown.length).toBeLessThanOrEqual(limit);
    expect(cut.markdown).toContain('Details cut to stay under GitHub');
    expect(cut.markdown).toContain('> [!CAUTION]');
    expect(cut.markdown).toContain('**postgres-major**: ');
  });
});

describe('plan summary CLI', () => {
  it('exits 3 on a data-loss warning, 0 otherwise, and writes the label metadata', () => {
    const out = tempDir();
    const loss = spawnSync(process.execPath, [cli, 'plan', `staging=${path.join(dir, 'postgres-major.json')}`, '--out', path.join(out, 's.md'), '--meta', path.join(out, 'm.json')], { encoding: 'utf8' });
    expect(loss.status).toBe(3);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'm.json'), 'utf8'))).toEqual({ dataLoss: true, destroy: true, changes: true, truncated: false });
    expect(fs.readFileSync(path.join(out, 's.md'), 'utf8')).toContain('**staging**:');
    const fine = spawnSync(process.execPath, [cli, 'plan', path.join(dir, 'no-change.json')], { encoding: 'utf8' });
    expect(fine.status).toBe(0);
  });

  it('refuses what is not a plan, an unsupported format and an empty list, with a clear message', () => {
    const d = tempDir();
    fs.writeFileSync(path.join(d, 'notjson.json'), 'Plan: 1 to add');
    fs.writeFileSync(path.join(d, 'state.json'), JSON.stringify({ version: 4, resources: [] }));
    fs.writeFileSync(path.join(d, 'future.json'), JSON.stringify({ format_version: '2.0', resource_changes: [] }));
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'plan', ...args], { encoding: 'utf8' });
    expect(run(path.join(d, 'notjson.json'))).toMatchObject({ status: 1, stderr: `${path.join(d, 'notjson.json')}: is not JSON; give the output of \`tofu show -json <planfile>\`\n` });
    expect(run(path.join(d, 'state.json')).stderr).toContain('is not a plan in JSON form');
    expect(run(path.join(d, 'future.json')).stderr).toContain('has plan format_version 2.0; stackyard reads format 1.x');
    expect(run()).toMatchObject({ status: 1, stderr: '(arguments): no plans given; pass one or more `tofu show -json` files: npm run plan:summary -- staging=plan.json\n' });
    expect(run(path.join(d, 'missing.json')).stderr).toContain('file does not exist');
    expect(() => parsePlan('x', '[]')).toThrow(ConfigError);
  });
});
