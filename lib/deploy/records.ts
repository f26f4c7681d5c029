/**
 * The deploy record of an environment (`stackyard audit`, `releases`, `rollback`): one JSON line
 * per deploy, rollback or down, kept on the environment's first host (lib/deploy/host-store.ts)
 * so every deploy machine reads the same one. These functions decide from its text; they never
 * touch a host.
 */
import { RELEASE_TAG } from './release-tag';

export type RecordAction = 'deploy' | 'rollback' | 'down';
export type RecordResult = 'success' | 'failed';

export interface DeployRecord {
  /** ISO time the run ended. */
  readonly at: string;
  readonly who: string;
  readonly environment: string;
  readonly action: RecordAction;
  /** The release tag deployed (TF_VAR_RELEASE_TAG or the environment's pinned `release.tag`); `-` without `release:`. */
  readonly tag: string;
  /** The plan's headline (`2 to add, 1 to change, 0 to destroy`), or what failed. */
  readonly headline: string;
  readonly result: RecordResult;
  /** Wall time of the run. */
  readonly seconds: number;
}

/** Records kept at most (the oldest are dropped). */
export const MAX_RECORDS = 500;
export const NO_TAG = '-';

const clean = (s: unknown, max: number): string => (typeof s === 'string' ? s.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, max) : '');

function valid(j: unknown): j is DeployRecord {
  const r = Object(j) as Record<string, unknown>; // null, a number or a string: no record fields
  return typeof r.at === 'string' && !Number.isNaN(Date.parse(r.at)) && typeof r.tag === 'string' && (r.result === 'success' || r.result === 'failed')
    && (r.action === 'deploy' || r.action === 'rollback' || r.action === 'down');
}

/** Parses the record file, oldest first; lines that are not records (a torn write, another version) are skipped. */
export function parseRecords(text: string): DeployRecord[] {
  const out: DeployRecord[] = [];
  for (const line of text.split('\n')) {
    try { // a blank line is no JSON either
      const j = JSON.parse(line) as unknown;
      if (!valid(j)) continue;
      out.push({ at: j.at, who: clean(j.who, 200), environment: clean(j.environment, 100), action: j.action, tag: clean(j.tag, 128), headline: clean(j.headline, 300), result: j.result, seconds: typeof j.seconds === 'number' ? j.seconds : 0 });
    } catch {
      // not a record
    }
  }
  return out;
}

/** The record file with one more record, keeping the newest MAX_RECORDS. */
export function appendRecord(text: string, record: DeployRecord): string {
  const all = [...parseRecords(text), record].slice(-MAX_RECORDS);
  return all.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

export const newestFirst = (records: readonly DeployRecord[]): DeployRecord[] =>
  [...records].map((r, i) => ({ r, i })).sort((a, b) => Date.parse(b.r.at) - Date.parse(a.r.at) || b.i - a.i).map((x) => x.r);

/** Successful deploys and rollbacks with a release tag, newest first: the releases. */
export function releases(records: readonly DeployRecord[]): DeployRecord[] {
  return newestFirst(records).filter((r) => r.result === 'success' && r.action !== 'down' && r.tag !== NO_TAG);
}

/** The distinct tags of the newest `keep` releases: the images a prune keeps. */
export function tagsToKeep(records: readonly DeployRecord[], keep: number): Set<string> {
  const tags = new Set<string>();
  for (const r of releases(records)) {
    if (tags.size >= keep) break;
    tags.add(r.tag);
  }
  return tags;
}

export type RollbackTarget = { readonly tag: string } | { readonly error: string };

/** What `rollback <env> [tag]` deploys: the named release, or the newest one before the current release. */
export function rollbackTarget(environment: string, records: readonly DeployRecord[], tag?: string): RollbackTarget {
  const rel = releases(records);
  const known = [...new Set(rel.map((r) => r.tag))];
  if (tag !== undefined) {
    if (!RELEASE_TAG.test(tag)) return { error: `${JSON.stringify(tag.slice(0, 140))} is not a Docker tag (letters, digits, _ . -, up to 128 characters)` };
    if (!known.includes(tag)) return { error: `${environment} has no release ${tag} in its record${known.length ? `; its releases, newest first: ${known.slice(0, 10).join(', ')}` : ' (no successful deploy recorded yet)'}` };
    return { tag };
  }
  if (!rel.length) return { error: `${environment} has no release in its record yet: nothing to roll back to` };
  const current = rel[0].tag;
  const previous = rel.find((r) => r.tag !== current);
  if (!previous) return { error: `${environment} has only one release (${current}) in its record: nothing older to roll back to` };
  return { tag: previous.tag };
}

/**
 * Image tags of a release repository on a host that a prune removes: tags this environment
 * released earlier that are not among its newest `keep` releases. A tag the environment never
 * released (another environment's, a build in progress) is never touched.
 */
export function tagsToPrune(localTags: readonly string[], records: readonly DeployRecord[], keep: number): string[] {
  const kept = tagsToKeep(records, keep);
  const released = new Set(releases(records).map((r) => r.tag));
  return [...new Set(localTags)].filter((t) => released.has(t) && !kept.has(t)).sort();
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/** `audit` lines, newest first: time (and how long ago), who, what, tag, result, headline. */
export function formatRecords(records: readonly DeployRecord[], now: Date): string[] {
  const rows = records.map((r) => [`${new Date(r.at).toISOString().slice(0, 19)}Z`, ago(now.getTime() - Date.parse(r.at)), r.who, r.action, r.tag, r.result, `${r.seconds}s`, r.headline]);
  const head = ['when', '', 'who', 'action', 'tag', 'result', 'took', 'plan'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

/** The plan's headline from the engine's plan output: `2 to add, 1 to change, 0 to destroy`, or `no changes`. */
export function planHeadline(lines: readonly string[]): string {
  for (const l of lines) {
    const m = /^\s*Plan: (\d+ to add, \d+ to change, \d+ to destroy)/.exec(l);
    // the machine-readable plan (`apply -json`) says an empty plan this way
    if (m) return m[1] === '0 to add, 0 to change, 0 to destroy' ? 'no changes' : m[1];
    if (/^\s*No changes\./.test(l)) return 'no changes';
  }
  return 'plan headline not found';
}
