/**
 * Secret values never reach synthesized JSON: every declared secret is set to a canary in the
 * process environment (as TF_VAR_ and bare), the one place a value could come from at synth; the
 * output only ever references the sensitive variables, and every secret is still delivered (so
 * each canary sits where a consumer of that secret is rendered).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';
import { environmentFiles } from '../lib/environments';
import { MINIMAL, synth, tempDir, writeFiles } from './helpers';

const root = path.resolve(__dirname, '..');
const main = path.join(root, 'dist', 'bin', 'main.js');

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('secret values never leak into synthesized output', () => {
  const secrets = ['DB_PASSWORD', 'REDIS_PASSWORD', 'JWT_SECRET', 'CRYPTOPANIC_API_KEY', 'NEWSCATCHER_API_KEY', 'NANSEN_API_KEY'];
  const canary = (name: string) => `canary-${name.toLowerCase()}-7d1f0c`;

  it('with every secret set in the process environment, no canary appears in any stack or log', () => {
    const out = path.join(writeFiles({}), 'out');
    const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: out, ENVIRONMENTS_DIR: path.join(root, 'environments') };
    for (const s of secrets) {
      env[`TF_VAR_${s}`] = canary(s);
      env[s] = canary(s);
    }
    const r = spawnSync(process.execPath, [main], { cwd: root, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = allFiles(out);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      for (const s of secrets) expect(text, `${f} contains ${s}'s value`).not.toContain(canary(s));
    }
    for (const s of secrets) expect(r.stdout + r.stderr).not.toContain(canary(s));
    // and the values are referenced as sensitive variables, each one by some container
    const local = JSON.parse(fs.readFileSync(path.join(out, 'stacks', 'local', 'cdk.tf.json'), 'utf8'));
    const consumers = JSON.stringify(Object.values(local.resource.docker_container).map((c: any) => [c.upload, c.env]));
    for (const s of secrets) {
      expect(local.variable[s]).toMatchObject({ sensitive: true, type: 'string', nullable: false });
      expect(local.variable[s].default, s).toBeUndefined();
      expect(consumers, s).toMatch(new RegExp(`\\$\\{(urlencode\\()?var\\.${s}\\)?\\}`));
    }
  });

  it('a value typed into YAML where a secret belongs is refused, and the refusal does not echo it', () => {
    const value = 'canary-typed-into-yaml-1234';
    const dir = writeFiles({ 'env.yaml': MINIMAL.replace('    uses: [db]', `    uses: [db]\n    env: { JWT_SECRET: ${value}, SMTP_PASSWORD: ${value} }`) });
    const r = spawnSync(process.execPath, [main], { cwd: dir, env: { ...process.env, ENVIRONMENTS_DIR: '.', CDKTF_OUTDIR: path.join(dir, 'out') }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('services.api.env.JWT_SECRET');
    expect(r.stderr).toContain('services.api.env.SMTP_PASSWORD');
    expect(r.stderr).not.toContain(value);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('secrets reach only the services that list them, as files with a _FILE variable', () => {
    const stack = synth({ 'env.yaml': `name: s
hosts:
  main: { docker: "unix:///var/run/docker.sock" }
secrets: [ALPHA_TOKEN, BETA_TOKEN]
services:
  a: { kind: service, image: x/a, tag: "1", secrets: [ALPHA_TOKEN] }
  b: { kind: service, image: x/b, tag: "1", secrets: [ALPHA_TOKEN, BETA_TOKEN] }
  c: { kind: service, image: x/c, tag: "1" }
` }).s;
    const c = stack.resource.docker_container;
    const uploads = (k: string) => (c[k].upload ?? []).map((u: any) => [u.file, u.content, u.permissions]);
    const secretEnv = (k: string) => (c[k].env ?? []).filter((e: string) => e.includes('TOKEN'));
    expect(uploads('svc_a_1')).toEqual([['/run/secrets/ALPHA_TOKEN', '${var.ALPHA_TOKEN}', '0400']]);
    expect(uploads('svc_b_1')).toEqual([['/run/secrets/ALPHA_TOKEN', '${var.ALPHA_TOKEN}', '0400'], ['/run/secrets/BETA_TOKEN', '${var.BETA_TOKEN}', '0400']]);
    expect(uploads('svc_c_1')).toEqual([]);
    expect(secretEnv('svc_a_1')).toEqual(['ALPHA_TOKEN_FILE=/run/secrets/ALPHA_TOKEN']);
    expect(secretEnv('svc_b_1')).toEqual(['ALPHA_TOKEN_FILE=/run/secrets/ALPHA_TOKEN', 'BETA_TOKEN_FILE=/run/secrets/BETA_TOKEN']);
    expect(secretEnv('svc_c_1')).toEqual([]);
  });

  it('in the bundled local environment (synthesized now), the backend gets JWT_SECRET and the frontend and watcher do not', () => {
    const out = path.join(tempDir(), 'out');
    const { app } = buildApp(environmentFiles(path.join(root, 'environments')), out, ['local']);
    app.synth();
    const c = JSON.parse(fs.readFileSync(path.join(out, 'stacks', 'local', 'cdk.tf.json'), 'utf8')).resource.docker_container;
    const files = (k: string) => (c[k].upload ?? []).map((u: any) => u.file);
    expect(files('svc_frontend_1')).toEqual([]);
    expect(files('svc_backend_1')).toContain('/run/secrets/JWT_SECRET');
    expect(c.svc_backend_1.env).toContain('JWT_SECRET_FILE=/run/secrets/JWT_SECRET');
    expect(files('svc_watcher_1')).not.toContain('/run/secrets/JWT_SECRET');
    for (const u of c.svc_backend_1.upload) expect(u.content).toMatch(/^([^$]|\$\{(urlencode\()?var\.[A-Z_]+\)?\})*$/);
  });
});
