/**
 * Plan summaries never print a sensitive value: whatever `tofu show -json` marks sensitive before
 * or after the change (a whole block, one nested field, a value that just became sensitive or
 * stopped being so, a sensitive value whose replacement is not known yet) is shown as
 * `(sensitive)`, and the value itself appears nowhere in the comment or in the parsed changes.
 */
import { describe, expect, it } from 'vitest';
import { parsePlan, renderSummary, type StackPlan } from '../lib/plan/summary';

const OLD = 'canary-old-9f2c1e';
const NEW = 'canary-new-4b7d0a';

interface Change {
  actions: string[];
  before?: any;
  after?: any;
  before_sensitive?: any;
  after_sensitive?: any;
  after_unknown?: any;
  replace_paths?: (string | number)[][];
}

const container = (change: Change, name = 'svc_api_1') => ({
  address: `docker_container.${name}`, mode: 'managed', type: 'docker_container', name,
  change: { after_unknown: {}, before_sensitive: {}, after_sensitive: {}, ...change },
});
const planOf = (...resource_changes: object[]): StackPlan => parsePlan('s', JSON.stringify({ format_version: '1.2', resource_changes }));
const labels = [{ label: 'stackyard.service', value: 'api' }, { label: 'stackyard.host', value: 'main' }, { label: 'stackyard.kind', value: 'web' }];
const upload = (content: string) => [{ file: '/run/secrets/TOKEN', content, permissions: '0400' }];

/** The parsed plan and the rendered comment, both free of the canaries. */
function shown(p: StackPlan): { attrs: Record<string, [string, string]>; markdown: string } {
  const markdown = renderSummary([p]).markdown;
  for (const text of [markdown, JSON.stringify(p)]) {
    expect(text).not.toContain(OLD);
    expect(text).not.toContain(NEW);
  }
  const attrs = Object.fromEntries(p.changes.flatMap((c) => c.attributes.map((a) => [a.path, [a.before, a.after] as [string, string]])));
  return { attrs, markdown };
}

describe('sensitive values in plan summaries', () => {
  it('a changed sensitive field inside a list of blocks is masked on both sides, the replacement still explained', () => {
    const p = planOf(container({
      actions: ['delete', 'create'],
      before: { labels, upload: upload(OLD), image: 'a' },
      after: { labels, upload: upload(NEW), image: 'a' },
      before_sensitive: { upload: [{ content: true }] },
      after_sensitive: { upload: [{ content: true }] },
      replace_paths: [['upload']],
    }));
    const { attrs, markdown } = shown(p);
    expect(attrs).toEqual({ 'upload.0.content': ['(sensitive)', '(sensitive)'] });
    expect(markdown).toContain('`upload.0.content`: _(sensitive)_ → _(sensitive)_');
  });

  it('a whole block marked sensitive is one masked line, whatever it contains', () => {
    const p = planOf(container({
      actions: ['update'],
      before: { labels, upload: upload(OLD) },
      after: { labels, upload: upload(NEW) },
      before_sensitive: { upload: true },
      after_sensitive: { upload: true },
    }));
    expect(shown(p).attrs).toEqual({ upload: ['(sensitive)', '(sensitive)'] });
  });

  it('a value that becomes sensitive is masked, before and after', () => {
    const p = planOf(container({
      actions: ['update'],
      before: { labels, env: [`TOKEN=${OLD}`] },
      after: { labels, env: [`TOKEN=${NEW}`] },
      before_sensitive: {},
      after_sensitive: { env: true },
    }));
    expect(shown(p).attrs).toEqual({ env: ['(sensitive)', '(sensitive)'] });
  });

  it('a value that stops being sensitive is still masked on the side where it was', () => {
    const p = planOf(container({
      actions: ['update'],
      before: { labels, env: [`TOKEN=${OLD}`] },
      after: { labels, env: [`TOKEN=${NEW}`] },
      before_sensitive: { env: true },
      after_sensitive: {},
    }));
    expect(shown(p).attrs).toEqual({ env: ['(sensitive)', '(sensitive)'] });
  });

  // Was a defect: render() masked only a value marked sensitive as a whole, so the old block was
  // printed with the secret field inside it when its new value was unknown.
  it('a block with a sensitive field whose new value is unknown shows no old secret', () => {
    const p = planOf(container({
      actions: ['delete', 'create'],
      before: { labels, upload: upload(OLD) },
      after: { labels },
      before_sensitive: { upload: [{ content: true }] },
      after_unknown: { upload: true },
      replace_paths: [['upload']],
    }));
    const { attrs } = shown(p);
    expect(attrs).toEqual({ upload: ['(sensitive)', '(known after apply)'] });
  });

  it('a block with a sensitive field that is removed shows no old secret', () => {
    const p = planOf(container({
      actions: ['update'],
      before: { labels, upload: upload(OLD) },
      after: { labels, upload: null },
      before_sensitive: { upload: [{ content: true }] },
    }));
    expect(shown(p).attrs).toEqual({ upload: ['(sensitive)', '(none)'] });
  });

  it('a sensitive scalar whose new value is unknown is masked, not printed', () => {
    const p = planOf(container({
      actions: ['delete', 'create'],
      before: { labels, password: OLD },
      after: { labels },
      before_sensitive: { password: true },
      after_unknown: { password: true },
      replace_paths: [['password']],
    }));
    expect(shown(p).attrs).toEqual({ password: ['(sensitive)', '(known after apply)'] });
  });

  it('a sensitive value that only gains or loses its sensitivity is listed, still masked', () => {
    const p = planOf(container({
      actions: ['update'],
      before: { labels, password: OLD },
      after: { labels, password: OLD },
      before_sensitive: {},
      after_sensitive: { password: true },
    }));
    expect(shown(p).attrs).toEqual({ password: ['(sensitive)', '(sensitive)'] });
  });

  it('an unchanged sensitive value is not listed at all', () => {
    const p = planOf(container({
      actions: ['update'],
      before: { labels, password: OLD, image: 'a' },
      after: { labels, password: OLD, image: 'b' },
      before_sensitive: { password: true },
      after_sensitive: { password: true },
    }));
    expect(shown(p).attrs).toEqual({ image: ['a', 'b'] });
  });

  it('a sensitive value set from nothing, or removed, shows (none) on the empty side', () => {
    const p = planOf(container({
      actions: ['update'],
      before: { labels, password: null, token: OLD },
      after: { labels, password: NEW, token: null },
      before_sensitive: { token: true },
      after_sensitive: { password: true },
    }));
    expect(shown(p).attrs).toEqual({ password: ['(none)', '(sensitive)'], token: ['(sensitive)', '(none)'] });
  });

  it('a created or destroyed resource prints no attribute value (sensitive or not) in the comment', () => {
    const p = planOf(
      container({ actions: ['create'], after: { labels, password: NEW, image: 'plain-new' }, after_sensitive: { password: true } }, 'svc_new_1'),
      container({ actions: ['delete'], before: { labels, password: OLD, image: 'plain-old' }, before_sensitive: { password: true } }, 'svc_old_1'),
    );
    const md = renderSummary([p]).markdown;
    for (const v of [OLD, NEW, 'plain-new', 'plain-old']) expect(md).not.toContain(v);
    expect(md).toContain('`+` create `docker_container.svc_new_1`');
    expect(md).toContain('`-` delete `docker_container.svc_old_1`');
    expect(p.changes.find((c) => c.action === 'delete')!.attributes).toEqual([]);
  });

  // Was a defect: a created resource is one attribute at path "" holding the new object as JSON,
  // and its sensitive fields were in it unmasked (the comment does not print it; the summary data
  // that leaves the runner did carry it).
  it('the parsed changes of a created resource carry no sensitive value', () => {
    const p = planOf(container({ actions: ['create'], after: { password: NEW, labels }, after_sensitive: { password: true } }, 'svc_new_1'));
    expect(JSON.stringify(p)).not.toContain(NEW);
    expect(p.changes[0].attributes).toEqual([{ path: '', before: '(none)', after: '(sensitive)', forcesReplacement: false }]);
    const nested = planOf(container({ actions: ['create'], after: { labels, upload: upload(NEW) }, after_sensitive: { upload: [{ content: true }] } }, 'svc_new_1'));
    expect(JSON.stringify(nested)).not.toContain(NEW);
  });

  it('a sensitive value in a second stack of the same comment is masked too', () => {
    const a = planOf(container({ actions: ['update'], before: { labels, image: 'a' }, after: { labels, image: 'b' } }));
    const b = parsePlan('other', JSON.stringify({ format_version: '1.2', resource_changes: [container({
      actions: ['update'], before: { labels, password: OLD }, after: { labels, password: NEW },
      before_sensitive: { password: true }, after_sensitive: { password: true },
    })] }));
    const md = renderSummary([a, b]).markdown;
    expect(md).not.toContain(OLD);
    expect(md).not.toContain(NEW);
    expect(md).toContain('`password`: _(sensitive)_ → _(sensitive)_');
  });
});
