/**
 * scripts/compose-from-stack.ts, the yardstick of `npm run bench:deploy` and `bench:rolling`: the
 * compose file it writes for the bundled `local` environment must be one docker-compose can run
 * (no Terraform expression left in it) with the same containers under their fixed names.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { composeFromStack, composeName } from '../scripts/compose-from-stack';
import { synth, tempDir } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const SECRETS = ['DB_PASSWORD', 'REDIS_PASSWORD', 'JWT_SECRET', 'CRYPTOPANIC_API_KEY', 'NEWSCATCHER_API_KEY', 'NANSEN_API_KEY', 'STATE_PASSPHRASE'];

describe('the compose yardstick', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    for (const s of SECRETS) process.env[`TF_VAR_${s}`] = `value-of-${s.toLowerCase()}`;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('drops the revision from a start-first replica name; keeps other names', () => {
    expect(composeName('local-backend-1-${substr(terraform_data.revision_backend.id, 0, 8)}')).toBe('local-backend-1');
    expect(composeName('local-db-1')).toBe('local-db-1');
  });

  it('runs the local environment with fixed names, no Terraform expression, dependencies on containers only', () => {
    const file = (n: string) => fs.readFileSync(path.join(ROOT, 'environments', n), 'utf8');
    const stack = synth({ 'local.yaml': file('local.yaml'), 'base.yaml': file('base.yaml') }, ['local.yaml']).local;
    const out = tempDir();
    const doc = JSON.parse(composeFromStack(stack, out));
    const names = Object.values(doc.services).map((s: any) => s.container_name).sort();
    expect(names).toContain('local-backend-1');
    expect(names).toContain('local-backend-2');
    expect(names.every((n: string) => /^local-[a-z0-9-]+-\d+$/.test(n))).toBe(true);
    expect(JSON.stringify(doc)).not.toMatch(/\$\{(?!\$)/); // `$${` is compose's escape of a literal `${`
    const deps = Object.values(doc.services).flatMap((s: any) => Object.keys(s.depends_on ?? {}));
    expect(deps.length).toBeGreaterThan(0);
    for (const d of deps) expect(Object.keys(doc.services)).toContain(d);
    // replicas of one service start together, as compose does (the stack orders them for updates)
    expect(stack.resource.docker_container.svc_backend_2.depends_on).toContain('docker_container.svc_backend_1');
    expect(Object.keys(doc.services.svc_backend_2.depends_on)).toEqual(Object.keys(doc.services.svc_backend_1.depends_on));
    expect(doc.services.svc_frontend_2.depends_on).toBeUndefined();
    // a secret is a file in the private folder, mounted where stackyard uploads it
    const backend = Object.values(doc.services).find((s: any) => s.container_name === 'local-backend-1') as any;
    const mount = backend.volumes.find((v: string) => v.endsWith(':/run/secrets/JWT_SECRET:ro'));
    expect(fs.readFileSync(mount.split(':')[0], 'utf8')).toBe('value-of-jwt_secret');
  });
});
