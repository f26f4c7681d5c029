/**
 * `stackyard secrets <env>` in process (main(), lib/cli/commands/secrets.ts): which secret goes to
 * which service and which GitHub place, which are missing here, the exit code a workflow checks,
 * and that no value is ever printed. test/cli.test.ts runs the built command once as a user does.
 */
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../lib/cli/exit-codes';
import { main } from '../lib/cli/program';
import { MINIMAL, writeFiles, captureOutput, type Captured } from './helpers';

const BUNDLED = path.join(__dirname, '..', 'environments');
const CANARY = 'canary-value-0f9d2c';
let io: Captured;
const saved = { ...process.env };
beforeEach(() => {
  io = captureOutput();
  for (const k of Object.keys(process.env)) if (k.startsWith('TF_VAR_')) delete process.env[k];
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

/** The table's rows as { secret: [delivered to, GitHub, here] }. */
function rows(text: string): Record<string, string[]> {
  const lines = text.split('\n');
  expect(lines[0]).toMatch(/^secret +delivered to +GitHub +TF_VAR_ here$/);
  expect(lines[1]).toMatch(/^-+( +-+){3}$/);
  const cols = [...lines[1].matchAll(/-+/g)].map((m) => m.index);
  const table: Record<string, string[]> = {};
  for (const l of lines.slice(2)) {
    if (!l.trim()) break;
    const cells = cols.map((c, i) => l.slice(c, cols[i + 1]).trim());
    table[cells[0]] = cells.slice(1);
  }
  return table;
}

describe('stackyard secrets', () => {
  it('staging: each secret with its services and GitHub place; a repository secret another stack sets says so; all missing → exit 1 naming them', async () => {
    process.env.ENVIRONMENTS_DIR = BUNDLED;
    expect(await main(['secrets', 'staging'])).toBe(EXIT.failure);
    const t = rows(io.out);
    expect(t.DB_PASSWORD).toEqual(['backend, celery-worker, db, orchestrator, prestart, watcher', 'acme/platform environment staging', 'MISSING']);
    expect(t.GHCR_TOKEN).toEqual(['(registry ghcr.io)', 'acme/platform (repository, set by another stack)', 'MISSING']);
    expect(t.SSH_PRIVATE_KEY).toEqual(['(deploy only)', 'acme/platform environment staging', 'MISSING']);
    expect(Object.keys(t)).toHaveLength(8);
    expect(io.out).toContain('\n\n8 secret(s) missing for staging: CRYPTOPANIC_API_KEY, DB_PASSWORD, GHCR_TOKEN, JWT_SECRET, NANSEN_API_KEY, NEWSCATCHER_API_KEY, REDIS_PASSWORD, SSH_PRIVATE_KEY (set TF_VAR_<NAME>)\n');
    expect(io.err).toBe('');
  });

  it('production owns the repository secret; a set secret reads "set" and its value never appears', async () => {
    process.env.ENVIRONMENTS_DIR = BUNDLED;
    process.env.TF_VAR_GHCR_TOKEN = CANARY;
    process.env.TF_VAR_DB_PASSWORD = CANARY;
    expect(await main(['secrets', 'production'])).toBe(EXIT.failure);
    const t = rows(io.out);
    expect(t.GHCR_TOKEN).toEqual(['(registry ghcr.io)', 'acme/platform (repository)', 'set']);
    expect(t.DB_PASSWORD[2]).toBe('set');
    expect(t.JWT_SECRET).toEqual(['backend, orchestrator', 'acme/platform environment production', 'MISSING']);
    expect(io.out).toContain('6 secret(s) missing for production: CRYPTOPANIC_API_KEY, JWT_SECRET, NANSEN_API_KEY, NEWSCATCHER_API_KEY, REDIS_PASSWORD, SSH_PRIVATE_KEY');
    expect(io.out).not.toContain('GHCR_TOKEN,');
    expect(io.out + io.err).not.toContain(CANARY);
  });

  it('every secret set: no missing line, exit 0; without GitHub the place says so', async () => {
    process.env.ENVIRONMENTS_DIR = writeFiles({ 'test.yaml': MINIMAL });
    process.env.TF_VAR_DB_PASSWORD = CANARY;
    process.env.TF_VAR_JWT_SECRET = CANARY;
    expect(await main(['secrets', 'test'])).toBe(EXIT.ok);
    expect(rows(io.out)).toEqual({ DB_PASSWORD: ['api, db', '(no GitHub)', 'set'], JWT_SECRET: ['api', '(no GitHub)', 'set'] });
    expect(io.out).not.toContain('missing');
    expect(io.out).not.toContain(CANARY);
  });

  it('an empty TF_VAR_ counts as missing', async () => {
    process.env.ENVIRONMENTS_DIR = writeFiles({ 'test.yaml': MINIMAL });
    process.env.TF_VAR_DB_PASSWORD = '';
    process.env.TF_VAR_JWT_SECRET = CANARY;
    expect(await main(['secrets', 'test'])).toBe(EXIT.failure);
    expect(io.out).toContain('1 secret(s) missing for test: DB_PASSWORD (set TF_VAR_<NAME>)');
  });

  it('--json: one object per secret, in the declared order, no value, same exit code', async () => {
    process.env.ENVIRONMENTS_DIR = writeFiles({ 'test.yaml': MINIMAL });
    process.env.TF_VAR_JWT_SECRET = CANARY;
    expect(await main(['secrets', 'test', '--json'])).toBe(EXIT.failure);
    expect(JSON.parse(io.out)).toEqual([
      { name: 'DB_PASSWORD', deliveredTo: ['api', 'db'], github: '(no GitHub)', set: false },
      { name: 'JWT_SECRET', deliveredTo: ['api'], github: '(no GitHub)', set: true },
    ]);
    expect(io.out.trimEnd().split('\n')).toHaveLength(1);
    expect(io.out).not.toContain(CANARY);
  });

  it('an environment that does not exist: exit 1 naming it and the folder, nothing on standard output', async () => {
    const dir = writeFiles({ 'test.yaml': MINIMAL });
    process.env.ENVIRONMENTS_DIR = dir;
    expect(await main(['secrets', 'nope'])).toBe(EXIT.failure);
    expect(io.err).toContain(`no environment named nope in ${dir}/`);
    expect(io.out).toBe('');
  });
});
