/**
 * .github/scripts/plan-comment.js, the only code that holds a write token in plan-comment.yml:
 * run against a fake `github` that records every call. Bad input is refused before any call; the
 * sticky comment is only ever one of github-actions[bot]'s; the status fails on data loss and on
 * a pull request that trusted code did not plan, unless `allow-data-loss` is on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers';

const post = createRequire(__filename)(path.resolve(__dirname, '..', '.github', 'scripts', 'plan-comment.js'));
const MARKER = '<!-- stackyard-plan -->';
const SHA = 'a'.repeat(40);
const META = { dataLoss: false, destroy: false, changes: false, truncated: false, unverified: false };

function fake(comments: object[] = [], labels: string[] = []) {
  const calls: [string, any][] = [];
  const rec = (name: string, result: unknown = {}) => async (args: any) => (calls.push([name, args]), result);
  const github = {
    paginate: async (fn: any, args: any) => (await fn(args), comments),
    rest: {
      issues: { listComments: rec('listComments'), updateComment: rec('updateComment'), createComment: rec('createComment'), removeLabel: rec('removeLabel'), addLabels: rec('addLabels') },
      pulls: { get: rec('pulls.get', { data: { labels: labels.map((name) => ({ name })) } }) },
      repos: { createCommitStatus: rec('createCommitStatus') },
    },
  };
  const failed: string[] = [];
  return { github, calls, failed, core: { setFailed: (m: string) => failed.push(m) }, context: { repo: { owner: 'acme', repo: 'platform' } } };
}

async function run(opts: { prNumber?: unknown; headSha?: unknown; summary?: string; meta?: unknown; comments?: object[]; labels?: string[] } = {}) {
  const d = tempDir();
  fs.writeFileSync(path.join(d, 's.md'), opts.summary ?? `${MARKER}\n## plan\n`);
  fs.writeFileSync(path.join(d, 'm.json'), typeof opts.meta === 'string' ? opts.meta : JSON.stringify(opts.meta ?? META));
  const f = fake(opts.comments, opts.labels);
  await post({ github: f.github, context: f.context, core: f.core, prNumber: 'prNumber' in opts ? opts.prNumber : '12', headSha: 'headSha' in opts ? opts.headSha : SHA, summaryFile: path.join(d, 's.md'), metaFile: path.join(d, 'm.json') });
  return f;
}

describe('plan-comment.js refuses bad input before any GitHub call', () => {
  it.each([
    ['a number with a second line', { prNumber: '12\n13' }, /pull request number/],
    ['zero', { prNumber: '0' }, /pull request number/],
    ['no number', { prNumber: undefined }, /pull request number/],
    ['text', { prNumber: '12; rm' }, /pull request number/],
    ['a short SHA', { headSha: 'abc123' }, /head SHA/],
    ['an upper-case SHA with a newline', { headSha: `${'A'.repeat(40)}\n` }, /head SHA/],
    ['a summary without the marker', { summary: '## plan\n' }, /not a stackyard plan comment/],
    ['a summary over the comment limit', { summary: MARKER + 'x'.repeat(70000) }, /not a stackyard plan comment/],
    ['metadata without unverified', { meta: { dataLoss: false, destroy: false, changes: false, truncated: false } }, /metadata is malformed/],
    ['metadata with a string for a flag', { meta: { ...META, dataLoss: 'false' } }, /metadata is malformed/],
    ['metadata that is null', { meta: 'null' }, /metadata is malformed/],
    ['metadata that is not JSON', { meta: '{' }, /metadata is malformed/],
  ])('%s', async (_, opts, message) => {
    const f = await run(opts as never);
    expect(f.failed).toHaveLength(1);
    expect(f.failed[0]).toMatch(message);
    expect(f.calls).toEqual([]);
  });
});

describe('plan-comment.js', () => {
  it('updates only github-actions[bot]\'s own comment; another bot\'s comment with the marker is left alone', async () => {
    const other = { id: 1, user: { login: 'evil-app[bot]', type: 'Bot' }, body: `${MARKER} forged` };
    const lookalike = { id: 2, user: { login: 'github-actions[bot]x', type: 'Bot' }, body: MARKER };
    const human = { id: 3, user: { login: 'github-actions', type: 'User' }, body: MARKER };
    const f = await run({ comments: [other, lookalike, human] });
    expect(f.calls.filter(([n]) => n === 'updateComment')).toEqual([]);
    expect(f.calls.find(([n]) => n === 'createComment')![1]).toMatchObject({ owner: 'acme', repo: 'platform', issue_number: 12 });
    const mine = { id: 4, user: { login: 'github-actions[bot]', type: 'Bot' }, body: `${MARKER} old` };
    const g = await run({ comments: [other, mine] });
    expect(g.calls.find(([n]) => n === 'updateComment')![1]).toMatchObject({ comment_id: 4 });
    expect(g.calls.filter(([n]) => n === 'createComment')).toEqual([]);
  });

  const status = (f: Awaited<ReturnType<typeof run>>) => f.calls.find(([n]) => n === 'createCommitStatus')![1];

  it('verified and quiet: no-changes label and a success status on the head SHA', async () => {
    const f = await run();
    expect(f.calls.find(([n]) => n === 'addLabels')![1].labels).toEqual(['no-changes']);
    expect(status(f)).toMatchObject({ sha: SHA, context: 'stackyard/data-loss', state: 'success' });
    expect(f.failed).toEqual([]);
  });

  it('not planned by trusted code: failure status, and never the no-changes label', async () => {
    const f = await run({ meta: { ...META, unverified: true }, labels: ['no-changes'] });
    expect(status(f)).toMatchObject({ state: 'failure', description: 'not planned by trusted code; a maintainer must plan it' });
    expect(f.calls.filter(([n]) => n === 'addLabels')).toEqual([]);
    expect(f.calls.find(([n]) => n === 'removeLabel')![1].name).toBe('no-changes');
    expect(f.failed).toHaveLength(1);
  });

  it('the allow-data-loss label lets an unverified or data-losing pull request pass', async () => {
    expect(status(await run({ meta: { ...META, unverified: true }, labels: ['allow-data-loss'] })).state).toBe('success');
    const f = await run({ meta: { ...META, dataLoss: true, destroy: true, changes: true }, labels: ['allow-data-loss'] });
    expect(status(f)).toMatchObject({ state: 'success', description: 'data loss acknowledged (allow-data-loss)' });
    expect(f.calls.find(([n]) => n === 'addLabels')![1].labels).toEqual(['destroy']);
  });

  it('data loss without the label: failure', async () => {
    const f = await run({ meta: { ...META, dataLoss: true, destroy: true, changes: true } });
    expect(status(f).state).toBe('failure');
    expect(f.failed[0]).toMatch(/replace or destroy stateful data/);
  });
});
