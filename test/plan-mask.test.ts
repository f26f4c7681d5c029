/** Plan fixtures hold no secret value: the masker (lib/plan/mask.ts) and the committed fixtures. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskPlan } from '../lib/plan/mask';
import { parsePlan, renderSummary } from '../lib/plan/summary';

const dir = path.join(__dirname, 'fixtures', 'plans');
// the dummy values scripts/plan-fixtures.sh deploys with (TF_VAR_*), and the rotated one
const FIXTURE_SECRETS = ['fixture-db-password', 'fixture-redis-password', 'fixture-jwt-secret', 'fixture-rotated', 'fixture-state-passphrase'];

describe('plan fixtures', () => {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  it('exist, and hold none of the secret values they were captured with', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      for (const v of FIXTURE_SECRETS) expect(text.includes(v), `${f} holds ${v}`).toBe(false);
      // the masked values are still there, as masks
      if (f !== 'no-change.json') expect(text, f).toMatch(/\(masked [0-9a-f]{16}\)/);
    }
  });

  it('still show a rotated secret as a change that forces a replacement', () => {
    const s = renderSummary([parsePlan('secret-change', fs.readFileSync(path.join(dir, 'secret-change.json'), 'utf8'))]);
    expect(s.markdown).toMatch(/`upload[^`]*`: _\(sensitive\)_ → _\(sensitive\)_ _\(forces replacement\)_/);
  });
});

describe('maskPlan', () => {
  const plan = {
    format_version: '1.2',
    variables: { DB_PASSWORD: { value: 's3cret-value' }, RELEASE_TAG: { value: 'sha-1' } },
    configuration: { root_module: { variables: { DB_PASSWORD: { sensitive: true }, RELEASE_TAG: {} } } },
    resource_changes: [{
      address: 'docker_container.a', type: 'docker_container', name: 'a',
      change: {
        actions: ['delete', 'create'],
        before: { upload: [{ file: '/run/secrets/X', content: 'old-secret' }], env: ['A=1'], name: 'a' },
        after: { upload: [{ file: '/run/secrets/X', content: 'new-secret' }], env: ['A=1'], name: 'a' },
        before_sensitive: { upload: [{ content: true }] },
        after_sensitive: { upload: [{ content: true }] },
      },
    }, {
      address: 'docker_container.b', type: 'docker_container', name: 'b',
      change: { actions: ['no-op'], before: { upload: [{ content: 'old-secret' }], command: ['echo', 'has s3cret-value inside'] }, after: { upload: [{ content: 'old-secret' }] }, before_sensitive: { upload: [{ content: true }] }, after_sensitive: { upload: [{ content: true }] } },
    }],
    planned_values: { root_module: { resources: [{ address: 'x', values: { password: 'pv-secret', name: 'n' }, sensitive_values: { password: true } }] } },
    output_changes: { o: { actions: ['create'], before: null, after: 'out-secret', after_sensitive: true } },
  };
  const masked = maskPlan(plan, { knownValues: ['s3cret-value'] });
  const text = JSON.stringify(masked);

  it('removes every sensitive value and every known value, keeps the rest', () => {
    for (const v of ['s3cret-value', 'old-secret', 'new-secret', 'pv-secret', 'out-secret']) expect(text).not.toContain(v);
    expect(masked.variables.RELEASE_TAG.value).toBe('sha-1');
    expect(masked.planned_values.root_module.resources[0].values.name).toBe('n');
    expect(masked.resource_changes[1].change.before.command[1]).toMatch(/^has \(masked [0-9a-f]{16}\) inside$/);
  });

  it('keeps equal values equal and different ones different (a rotation still shows)', () => {
    const [a, b] = masked.resource_changes;
    expect(a.change.before.upload[0].content).not.toBe(a.change.after.upload[0].content);
    expect(a.change.before.upload[0].content).toBe(b.change.before.upload[0].content);
  });

  it('is idempotent and keyed per run', () => {
    expect(maskPlan(masked)).toEqual(masked);
    const again = maskPlan(plan);
    expect(again.resource_changes[0].change.before.upload[0].content).not.toBe(masked.resource_changes[0].change.before.upload[0].content);
  });
});
