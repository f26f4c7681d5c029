/** Plan fixtures hold no secret value: the masker (lib/plan/mask.ts) and the committed fixtures. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskPlan } from '../lib/plan/mask';
import { parsePlan, renderSummary } from '../lib/plan/summary';
import { shared } from './helpers';

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
  // made inside each test that reads it (see `shared`), so the masking counts as covered by it
  const maskedPlan = shared(() => maskPlan(plan, { knownValues: ['s3cret-value'] }));

  it('removes every sensitive value and every known value, keeps the rest', () => {
    const masked = maskedPlan();
    const text = JSON.stringify(masked);
    for (const v of ['s3cret-value', 'old-secret', 'new-secret', 'pv-secret', 'out-secret']) expect(text).not.toContain(v);
    expect(masked.variables.RELEASE_TAG.value).toBe('sha-1');
    expect(masked.planned_values.root_module.resources[0].values.name).toBe('n');
    expect(masked.resource_changes[1].change.before.command[1]).toMatch(/^has \(masked [0-9a-f]{16}\) inside$/);
  });

  it('keeps equal values equal and different ones different (a rotation still shows)', () => {
    const [a, b] = maskedPlan().resource_changes;
    expect(a.change.before.upload[0].content).not.toBe(a.change.after.upload[0].content);
    expect(a.change.before.upload[0].content).toBe(b.change.before.upload[0].content);
  });

  it('is idempotent and keyed per run', () => {
    const masked = maskedPlan();
    expect(maskPlan(masked)).toEqual(masked);
    const again = maskPlan(plan);
    expect(again.resource_changes[0].change.before.upload[0].content).not.toBe(masked.resource_changes[0].change.before.upload[0].content);
  });
});

describe('maskPlan, every place a plan holds values', () => {
  const key = Buffer.alloc(32, 7);
  const M = /^\(masked [0-9a-f]{16}\)$/;
  const mask = (v: unknown) => maskPlan({ output_changes: { o: { after: v, after_sensitive: true } } }, { key }).output_changes.o.after;

  it('a mask is a keyed hash of the value: the same key, the same mask; nothing of the value in it', () => {
    expect(mask('pw')).toMatch(M);
    expect(mask('pw')).toBe(mask('pw'));
    expect(mask('pw')).not.toBe(mask('pw2'));
    expect(mask({ a: 1 })).not.toBe(mask('{"a":1}x'));
    expect(maskPlan({ output_changes: { o: { after: 'pw', after_sensitive: true } } }, { key: Buffer.alloc(32, 8) }).output_changes.o.after).not.toBe(mask('pw'));
  });

  it('a sensitive value that is null or absent stays so; a structure masks only its marked leaves', () => {
    const c = maskPlan({ resource_changes: [{ change: { before: null, after: { a: 'x', b: ['y', 'z'], n: null }, before_sensitive: true, after_sensitive: { b: [false, true], n: true, gone: true } } }] }, { key }).resource_changes[0].change;
    expect(c.before).toBeNull();
    expect(c.after.a).toBe('x');
    expect(c.after.b[0]).toBe('y');
    expect(c.after.b[1]).toMatch(M);
    expect(c.after.n).toBeNull();
    expect('gone' in c.after).toBe(false);
    // a scalar under a structure of sensitivity, or no sensitivity: as it is
    const d = maskPlan({ resource_changes: [{ change: { before: 'v', after: 'w', before_sensitive: { a: true }, after_sensitive: false } }] }, { key }).resource_changes[0].change;
    expect([d.before, d.after]).toEqual(['v', 'w']);
  });

  it('drift, prior state (child modules too), planned values and outputs are masked like changes', () => {
    const res = (v: string) => ({ values: { password: v, name: 'n' }, sensitive_values: { password: true } });
    const out = maskPlan({
      resource_drift: [{ change: { before: 'drift-old', after: 'drift-new', before_sensitive: true, after_sensitive: true } }],
      prior_state: { values: { root_module: { resources: [res('prior-secret')], child_modules: [{ resources: [res('child-secret')], child_modules: [{ resources: [res('grandchild-secret')] }] }] } } },
      planned_values: { root_module: { resources: [res('planned-secret')] } },
      output_changes: { o: { before: 'out-old', after: 'out-new', before_sensitive: true, after_sensitive: true }, plain: { before: 'a', after: 'b' } },
    }, { key });
    const text = JSON.stringify(out);
    for (const v of ['drift-old', 'drift-new', 'prior-secret', 'child-secret', 'grandchild-secret', 'planned-secret', 'out-old', 'out-new']) expect(text, v).not.toContain(v);
    expect(out.prior_state.values.root_module.child_modules[0].child_modules[0].resources[0].values.name).toBe('n');
    expect(out.output_changes.plain).toEqual({ before: 'a', after: 'b' });
  });

  it('a variable is masked only when declared sensitive', () => {
    const out = maskPlan({
      variables: { S: { value: 'var-secret' }, P: { value: 'plain' }, U: { value: 'undeclared' } },
      configuration: { root_module: { variables: { S: { sensitive: true }, P: { sensitive: false } } } },
    }, { key });
    expect(out.variables.S.value).toMatch(M);
    expect(out.variables.P.value).toBe('plain');
    expect(out.variables.U.value).toBe('undeclared');
    expect(maskPlan({ variables: { S: { value: 'v' } } }, { key }).variables.S.value).toBe('v');
  });

  it('known values: removed wherever they appear, keys included, the longer first; shorter than 4 characters left alone', () => {
    const out = maskPlan({ a: ['the abcdef here', { 'key-abcdef': 'abc' }], b: 'abcdefgh', n: 5, t: true }, { key, knownValues: ['abcdef', 'abcdefgh', 'abc', 'abcdef'] });
    const text = JSON.stringify(out);
    expect(text).not.toContain('abcdef');
    expect(out.a[0]).toMatch(/^the \(masked [0-9a-f]{16}\) here$/);
    expect(Object.keys(out.a[1])[0]).toMatch(/^key-\(masked [0-9a-f]{16}\)$/);
    expect(Object.values(out.a[1])[0]).toBe('abc');
    // the longer value masked whole, not as the shorter one plus "gh"
    expect(out.b).toMatch(M);
    expect([out.n, out.t]).toEqual([5, true]);
  });

  it('without sensitive marks or known values, the plan comes back as it was', () => {
    const plan = { format_version: '1.2', resource_changes: [{ change: { before: { a: 1 }, after: { a: 2 } } }, null, 'x'], resource_drift: 'odd', planned_values: { no_root: true }, prior_state: { values: null } };
    expect(maskPlan(plan, { key })).toEqual(plan);
    expect(maskPlan(plan, { key, knownValues: [] })).toEqual(plan);
  });

  it('odd shapes pass through as they are, nothing added: null or scalar changes, modules and entries; null sensitivity', () => {
    const odd = {
      resource_changes: [{ change: null }, { change: 'x' }, null, 7],
      output_changes: { n: null, s: 'str' },
      planned_values: null,
      prior_state: { values: { root_module: { resources: [null, 'r'], child_modules: [null, 'm'] } } },
      variables: { S: null, T: 'str' },
      configuration: { root_module: { variables: { S: { sensitive: true }, T: { sensitive: true } } } },
    };
    expect(maskPlan(odd, { key })).toStrictEqual(odd);
    // a plan without these sections gets none of them
    for (const plan of [{ format_version: '1.2' }, { output_changes: 'str', prior_state: 'str', variables: 'str' }, { planned_values: { outputs: {} } }]) expect(maskPlan(plan, { key }), JSON.stringify(plan)).toStrictEqual(plan);
    // variables without a root module in the configuration: none is declared sensitive
    expect(maskPlan({ variables: { S: { value: 'v' } }, configuration: {} }, { key }).variables.S.value).toBe('v');
    // tofu's null where it marks nothing; null under a marked structure
    const c = maskPlan({ resource_changes: [{ change: { before: { a: 'x' }, after: null, before_sensitive: null, after_sensitive: { a: true } } }] }, { key }).resource_changes[0].change;
    expect(c).toStrictEqual({ before: { a: 'x' }, after: null, before_sensitive: null, after_sensitive: { a: true } });
  });

  it('a sensitive value the change does not hold stays absent; a list that holds a mask is masked whole', () => {
    const c = maskPlan({ output_changes: { o: { after: 'new', before_sensitive: true, after_sensitive: true } } }, { key }).output_changes.o;
    expect('before' in c && c.before !== undefined).toBe(false);
    expect(c.after).toMatch(M);
    // only a string that is a mask is left as it is (masking twice changes nothing); a list holding one is a value like any other
    const list = ['(masked 0123456789abcdef)'];
    expect(mask(list)).toMatch(M);
    expect(mask('(masked 0123456789abcdef)')).toBe('(masked 0123456789abcdef)');
  });

  it('a known value of exactly 4 characters is removed', () => {
    expect(maskPlan({ a: 'pin=abcd' }, { key, knownValues: ['abcd'] }).a).toMatch(/^pin=\(masked [0-9a-f]{16}\)$/);
  });

  it('what the masker has no business with is passed on, not copied, when there are no known values', () => {
    const configuration = { root_module: { resources: [{ address: 'a' }] } };
    expect(maskPlan({ configuration }, { key }).configuration).toBe(configuration);
    expect(maskPlan({ configuration }, { key, knownValues: ['nothing-here'] }).configuration).toEqual(configuration);
  });
});
