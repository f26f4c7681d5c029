/**
 * Plan summaries for pull requests: the JSON of `tofu show -json <planfile>` (one per stack)
 * becomes one Markdown comment, grouped by host and service, replacements and destroys at the
 * top, data loss loud, sensitive values masked, unknown values marked, under GitHub's limit.
 */
import { ConfigError } from '../config/errors';
import { PLACEHOLDER_PREFIX, SECRET_VERSION_RESOURCE, versionedSecretOf } from '../deploy/secret-versions';
import { isStatefulKind } from '../registry';

export { PLACEHOLDER_PREFIX, SECRET_VERSION_RESOURCE, versionedSecretOf };
import type { Topology } from '../ops/graph';
import { diagramSection } from './diagram';
import type { Action, AttributeChange, ResourceChange, StackPlan } from './plan';

export const COMMENT_MARKER = '<!-- stackyard-plan -->';
export const GITHUB_COMMENT_LIMIT = 65_536;

type Json = any;
export type { Action, AttributeChange, ResourceChange, StackPlan } from './plan';


export interface ParseOptions {
  /** Treat values holding PLACEHOLDER_PREFIX as the deployed value (pull-request plans). @default false */
  readonly placeholders?: boolean;
  /**
   * Container address → the secrets whose version replaces it (its replace_triggered_by, from the
   * synthesized stack): a replacement triggered only by a placeholder version is no change, one
   * triggered by a rotated secret says which. @default - none
   */
  readonly secretReaders?: ReadonlyMap<string, readonly string[]>;
}


type VersionChange = 'rotated' | 'new' | 'removed';

/** What happens to each recorded secret version in a plan; a version that is only a placeholder is no change. */
function versionChanges(changes: Json[], options: ParseOptions): Map<string, VersionChange> {
  const out = new Map<string, VersionChange>();
  for (const rc of changes) {
    const name = isResourceChange(rc) && rc.mode !== 'data' ? versionedSecretOf(rc.address) : undefined;
    if (name === undefined) continue;
    const action = actionOf(rc.change.actions);
    if (action === 'create') out.set(name, 'new');
    else if (action === 'delete') out.set(name, 'removed');
    else if (action === 'update' || action === 'replace') {
      const after = rc.change.after?.input;
      const placeholder = options.placeholders === true && typeof after === 'string' && after.includes(PLACEHOLDER_PREFIX);
      if (!placeholder && JSON.stringify(rc.change.before?.input) !== JSON.stringify(after)) out.set(name, 'rotated');
    }
  }
  return out;
}

const VERSION_WORDS: Record<VersionChange, [string, string]> = {
  rotated: ['(version of the last deploy)', '(rotated)'],
  new: ['(none)', '(new secret)'],
  removed: ['(version of the last deploy)', '(none)'],
};

/** Throws ConfigError (file, what is wrong) for anything that is not a supported plan. */
export function parsePlan(name: string, text: string, file = name, options: ParseOptions = {}): StackPlan {
  const fail = (message: string): never => {
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message }]);
  };
  let plan: Json;
  try {
    plan = JSON.parse(text);
  } catch {
    return fail('is not JSON; give the output of `tofu show -json <planfile>`');
  }
  if (typeof plan !== 'object' || plan === null || !('format_version' in plan) || !('resource_changes' in plan || 'planned_values' in plan)) {
    return fail('is not a plan in JSON form (no format_version / resource_changes); give the output of `tofu show -json <planfile>`');
  }
  const major = String(plan.format_version).split('.')[0];
  if (major !== '1') fail(`has plan format_version ${plan.format_version}; stackyard reads format 1.x (OpenTofu 1.x, Terraform ≥ 0.12)`);
  if (plan.resource_changes !== undefined && !Array.isArray(plan.resource_changes)) fail('has resource_changes that is not a list; give the output of `tofu show -json <planfile>`');
  const providerKeys = new Map<string, string>();
  const configured = plan.configuration?.root_module?.resources;
  for (const r of Array.isArray(configured) ? configured : []) if (r && typeof r.address === 'string') providerKeys.set(r.address, typeof r.provider_config_key === 'string' ? r.provider_config_key : '');
  const providerConfig = plan.configuration?.provider_config;
  const aliases = Object.keys(providerConfig && typeof providerConfig === 'object' ? providerConfig : {}).map((k) => k.split('.')[1]).filter(Boolean);
  // resources already gone from the configuration: the host is in stackyard's logical id
  const aliasFromName = (name: string) => aliases.find((a) => name.startsWith(`image_${a}_`) || name.startsWith(`network_${a}_`));
  const changes: ResourceChange[] = [];
  const versions = versionChanges((plan.resource_changes ?? []) as Json[], options);
  for (const [i, rc] of ((plan.resource_changes ?? []) as Json[]).entries()) {
    const where = `resource_changes[${i}]`;
    if (!isResourceChange(rc)) fail(`has ${where} that is not a resource change as tofu writes it (needs address, type, name and change.actions); give the unmodified output of \`tofu show -json <planfile>\``);
    if (rc.mode === 'data') continue;
    try {
      const change = parseChange(rc, options, providerKeys, aliasFromName, versions);
      if (change) changes.push(change);
    } catch (e) {
      fail(`has ${where} (${String(rc.address).slice(0, 100)}) that cannot be read: ${(e as Error).message}`);
    }
  }
  return { name, changes };
}

const ACTIONS = new Set(['no-op', 'create', 'read', 'update', 'delete', 'forget']);

function isResourceChange(rc: Json): boolean {
  return rc !== null && typeof rc === 'object' && typeof rc.address === 'string' && typeof rc.type === 'string' && typeof rc.name === 'string'
    && rc.change !== null && typeof rc.change === 'object' && Array.isArray(rc.change.actions) && rc.change.actions.length > 0
    && rc.change.actions.every((a: unknown) => typeof a === 'string' && ACTIONS.has(a))
    && (rc.change.replace_paths === undefined || (Array.isArray(rc.change.replace_paths) && rc.change.replace_paths.every((p: unknown) => Array.isArray(p))));
}

function parseChange(rc: Json, options: ParseOptions, providerKeys: Map<string, string>, aliasFromName: (n: string) => string | undefined, versions: Map<string, VersionChange>): ResourceChange | undefined {
  { // eslint-disable-line no-lone-blocks
    let action = actionOf(rc.change.actions);
    if (action === 'no-op' || action === 'read') return undefined;
    const versioned = versionedSecretOf(rc.address);
    if (versioned !== undefined) {
      // a recorded version: what happened to the secret, never the version itself
      const what = versions.get(versioned);
      if (!what) return undefined;
      const [before, after] = VERSION_WORDS[what];
      return { address: rc.address, type: rc.type, action, host: '(secrets)', service: versioned, attributes: action === 'create' ? [] : [{ path: 'version', before, after, forcesReplacement: false }], dataLoss: false };
    }
    let change = rc.change;
    if (options.placeholders && (action === 'update' || action === 'replace')) {
      const n = withoutPlaceholders(change.before, change.after, change.after_sensitive, change.after_unknown, change.before_sensitive);
      change = { ...change, after: n.after, after_sensitive: n.sensitive, after_unknown: n.unknown };
    }
    const attributes = attributeChanges(change, action, rc.type);
    if (action === 'replace' && rc.action_reason === 'replace_by_triggers') {
      // replaced because a secret it reads has a new version (its value stays out of the plan)
      for (const name of options.secretReaders?.get(rc.address) ?? []) {
        const what = versions.get(name);
        if (what === 'rotated' || what === 'new') attributes.push({ path: `secret ${name}`, before: VERSION_WORDS[what][0], after: VERSION_WORDS[what][1], forcesReplacement: true });
      }
    }
    if (change !== rc.change) {
      // what remains once placeholders compare equal: nothing, an update, or a replacement still forced
      if (attributes.length === 0) return undefined;
      if (action === 'replace' && !attributes.some((a) => a.forcesReplacement)) action = 'update';
    }
    const values = rc.change.after ?? rc.change.before ?? {};
    const labels = labelMap(rc.change.after?.labels ?? rc.change.before?.labels);
    const alias = (providerKeys.get(rc.address) ?? '').split('.')[1] ?? aliasFromName(rc.name);
    const service = labels['stackyard.service'] ?? serviceFromAddress(rc.type, rc.name);
    const kind = labels['stackyard.kind'];
    const destructive = action === 'replace' || action === 'delete';
    const dataLoss = destructive && (rc.type === 'docker_volume' || (rc.type === 'docker_container' && isStatefulKind(kind)));
    const literal = typeof values.name === 'string' && values.name !== '' ? values.name : undefined;
    return {
      address: rc.address,
      type: rc.type,
      action,
      host: labels['stackyard.host'] ?? alias ?? (rc.type.startsWith('github') ? 'github' : '-'),
      service: rc.type.startsWith('github') ? 'github' : service ?? literal ?? rc.name,
      kind,
      ...(NAMED_TYPES.has(rc.type) && literal ? { name: literal } : {}),
      attributes,
      dataLoss,
    };
  }
}

/**
 * The planned values with every placeholder-bearing string replaced by the value it stands in
 * for: the same position in `before`; in lists (Terraform sets), the element with the same
 * `file` (uploads) or the same `NAME=` prefix (env), since set order follows the values. The
 * sensitivity and unknown marks move with their values (tofu marks a placeholder sensitive, as
 * it came from a sensitive variable, so the deployed value that replaces it stays masked). A
 * deployed value that was sensitive where it came from (`beforeSensitive`) stays masked too,
 * whatever the planned mark says: the value shown is the deployed one, so its own mark counts.
 */
export function withoutPlaceholders(before: Json, after: Json, sensitive?: Json, unknown?: Json, beforeSensitive?: Json): { after: Json; sensitive: Json; unknown: Json } {
  const has = (v: Json): boolean => (typeof v === 'string' ? v.includes(PLACEHOLDER_PREFIX) : v !== null && typeof v === 'object' && Object.values(v).some(has));
  if (!has(after)) return { after, sensitive, unknown };
  if (typeof after === 'string') {
    if (typeof before !== 'string') return { after, sensitive, unknown };
    return { after: before, sensitive: beforeSensitive === true ? true : sensitive, unknown };
  }
  const sub = (x: Json, k: string | number) => (x !== null && typeof x === 'object' ? x[k] : undefined);
  // a mark of the whole deployed value holds for each part of it
  const subB = (k: string | number) => (beforeSensitive === true ? true : sub(beforeSensitive, k));
  if (Array.isArray(after)) {
    const list: Json[] = Array.isArray(before) ? before : [];
    const keyOf = (x: Json): string | undefined => {
      if (typeof x === 'string') return /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(x)?.[1];
      return x && typeof x === 'object' && typeof x.file === 'string' ? `file:${x.file}` : undefined;
    };
    // each deployed entry stands in once. A keyed entry planned as it was deployed keeps its own
    // slot first (so it cannot use up the one a changed entry with the same key needs); then a
    // keyed entry takes the first one with its key not taken yet, a keyless entry the keyless one
    // at its own position (keyless entries keep their order: in an ordered list such as a command,
    // a move is a change).
    const keys = list.map(keyOf);
    const texts = list.map((b) => JSON.stringify(b));
    const taken = new Set<number>();
    const same = after.map((a) => {
      if (has(a) || keyOf(a) === undefined) return -1;
      const text = JSON.stringify(a);
      const j = texts.findIndex((b, n) => b === text && !taken.has(n));
      taken.add(j);
      return j;
    });
    const mapped = after.map((a, i) => {
      const k = keyOf(a);
      const at = same[i] >= 0 ? same[i] : k !== undefined ? keys.findIndex((b, j) => b === k && !taken.has(j)) : i < list.length && keys[i] === undefined ? i : -1;
      taken.add(at);
      const r = at < 0 ? { after: a, sensitive: sub(sensitive, i), unknown: sub(unknown, i) } : withoutPlaceholders(list[at], a, sub(sensitive, i), sub(unknown, i), subB(at));
      return { ...r, at: at < 0 ? Number.MAX_SAFE_INTEGER : at };
    });
    // a set's order follows its values: once they compare equal, take the deployed order
    mapped.sort((x, y) => x.at - y.at);
    return {
      after: mapped.map((m) => m.after),
      sensitive: sensitive === true ? true : mapped.map((m) => m.sensitive ?? false),
      unknown: unknown === true ? true : mapped.map((m) => m.unknown ?? false),
    };
  }
  // an object (has() found a placeholder in it)
  const b = before && typeof before === 'object' && !Array.isArray(before) ? before : {};
  const out: Json = {};
  const outS: Json = sensitive === true ? true : { ...(sensitive && typeof sensitive === 'object' ? sensitive : {}) };
  const outU: Json = unknown === true ? true : { ...(unknown && typeof unknown === 'object' ? unknown : {}) };
  for (const [k, v] of Object.entries(after)) {
    const r = withoutPlaceholders(b[k], v, sub(sensitive, k), sub(unknown, k), subB(k));
    // as own properties: `o[k] = ...` with k `__proto__` (a key a plan's JSON may hold) would set
    // the object's prototype, whose fields the walk then reads unmarked
    own(out, k, r.after);
    if (outS !== true && r.sensitive !== undefined) own(outS, k, r.sensitive);
    if (outU !== true && r.unknown !== undefined) own(outU, k, r.unknown);
  }
  return { after: out, sensitive: outS, unknown: outU };
}

/** Sets `o[k]` as an own property, whatever the key. */
function own(o: Json, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function actionOf(actions: string[]): Action {
  if (actions.includes('delete') && actions.includes('create')) return 'replace';
  if (actions.length === 1) return actions[0] as Action;
  return 'update';
}

function labelMap(labels: Json): Record<string, string> {
  if (!Array.isArray(labels)) return {};
  return Object.fromEntries(labels.filter((l) => l && typeof l.label === 'string').map((l) => [l.label, String(l.value)]));
}

/** Resources shown by their name on the host (lib/plan/summary.ts ResourceChange.name). */
const NAMED_TYPES = new Set(['docker_image', 'docker_network', 'docker_volume']);

/** `image `postgres:17`` for a named resource: what it is on the host, beside its address. */
function namedAs(c: ResourceChange): string | undefined {
  return c.name === undefined ? undefined : `${c.type.replace(/^docker_/, '')} ${code(c.name)}`;
}

export function serviceFromAddress(type: string, name: string): string | undefined {
  const m = type === 'docker_container' ? /^svc_(.+)_\d+$/.exec(name) : type === 'docker_volume' ? /^volume_(.+?)_[a-z0-9]+$/.exec(name) : undefined;
  return m ? m[1].replace(/_/g, '-') : type === 'docker_network' ? '(network)' : type === 'docker_image' ? '(images)' : undefined;
}

const MASK = '(sensitive)';
const UNKNOWN = '(known after apply)';

/**
 * Attributes the provider keeps as they are when the configuration leaves them unset (its
 * DiffSuppressFunc treats "" as no change): a container reads them from its image. A plan that
 * replaces the container (a new image, or placeholders in a pull-request plan) still lists them
 * as e.g. `working_dir "/data" -> null`, which is nothing the configuration changed.
 */
const KEPT_WHEN_UNSET: Readonly<Record<string, ReadonlySet<string>>> = { docker_container: new Set(['user', 'working_dir']) };

function attributeChanges(change: Json, action: Action, type: string): AttributeChange[] {
  const out: AttributeChange[] = [];
  const forced = new Set<string>(((change.replace_paths ?? []) as (string | number)[][]).map((p) => p.join('.')));
  const walk = (b: Json, a: Json, bs: Json, as: Json, au: Json, at: string[]) => {
    if (au === true) {
      out.push({ path: at.join('.'), before: render(b, bs), after: UNKNOWN, forcesReplacement: forced.has(at.join('.')) });
      return;
    }
    if (bs === true || as === true) {
      if (JSON.stringify(b) !== JSON.stringify(a) || bs !== as) out.push({ path: at.join('.'), before: b === undefined || b === null ? '(none)' : MASK, after: a === undefined || a === null ? '(none)' : MASK, forcesReplacement: forced.has(at.join('.')) });
      return;
    }
    const isObj = (x: Json) => x !== null && typeof x === 'object';
    if (isObj(b) && isObj(a) && Array.isArray(b) === Array.isArray(a)) {
      const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
      for (const k of keys) walk(b[k], a[k], isObj(bs) ? bs[k] : undefined, isObj(as) ? as[k] : undefined, isObj(au) ? au[k] : undefined, [...at, k]);
      if (isObj(au)) for (const k of Object.keys(au)) if (!Object.hasOwn(a, k) && !Object.hasOwn(b, k)) walk(undefined, undefined, undefined, undefined, au[k], [...at, k]);
      return;
    }
    if (JSON.stringify(b) !== JSON.stringify(a)) out.push({ path: at.join('.'), before: render(b, bs), after: render(a, as), forcesReplacement: forced.has(at.join('.')) });
  };
  if (action === 'delete') return [];
  walk(action === 'create' ? undefined : change.before ?? undefined, change.after ?? undefined, change.before_sensitive, change.after_sensitive, change.after_unknown, []);
  // Only what the user changed: not computed attributes that become unknown on a replacement
  // (unless they force it), not optional ones dropping from an empty default to unset.
  const empty = new Set(['', '[]', '{}', '0', 'false', '(none)', 'null']);
  const keptWhenUnset = KEPT_WHEN_UNSET[type];
  return out.filter((c) => {
    if (keptWhenUnset?.has(c.path) && (c.after === '(none)' || c.after === '')) return false;
    if (c.forcesReplacement) return true;
    if (c.after === UNKNOWN) return false;
    // a create's before is always (none): what it leaves unset is left out here too
    return !((c.after === '(none)' || c.after === 'null') && empty.has(c.before));
  });
}

/** Whether a sensitivity mark says the value, or anything inside it, is sensitive. */
function hasSensitive(marks: Json): boolean {
  return marks === true || (marks !== null && typeof marks === 'object' && Object.values(marks).some(hasSensitive));
}

/** A value as text; masked whole when it, or any field inside it, is sensitive (a block or a created object). */
function render(v: Json, sensitive: Json): string {
  if (hasSensitive(sensitive)) return MASK;
  if (v === undefined || v === null) return '(none)';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

export interface Summary {
  readonly markdown: string;
  readonly dataLoss: boolean;
  readonly truncated: boolean;
}

const ICON: Record<string, string> = { create: '+', update: '~', replace: '-/+', delete: '-' };

export function headline(p: StackPlan): string {
  const n = (a: Action) => p.changes.filter((c) => c.action === a).length;
  const name = text(p.name);
  if (p.changes.length === 0) return `**${name}**: no changes`;
  return `**${name}**: ${n('create')} to add, ${n('update')} to change, ${n('replace')} to replace, ${n('delete')} to destroy`;
}

export interface RenderOptions {
  /** Sentences shown under the headlines (escaped like plan content). @default [] */
  readonly notes?: readonly string[];
  /**
   * Draw a Mermaid picture of the services each plan touches and their neighbours
   * (lib/plan/diagram.ts), from the environment's topology by plan name (undefined: not
   * readable, the touched services are drawn unlinked). Left out when it does not fit.
   * @default - no picture
   */
  readonly diagrams?: ReadonlyMap<string, Topology | undefined>;
}

/**
 * Renders one comment for several stacks, within `limit` characters. Everything that comes from a
 * plan (names, addresses, values) is escaped: it cannot mention anyone, close the <details>, or
 * add HTML or links. When even the header is too long, the lists at the top are shortened and the
 * headlines kept.
 */
export function renderSummary(plans: readonly StackPlan[], limit = GITHUB_COMMENT_LIMIT, options: RenderOptions = {}): Summary {
  if (plans.length === 0) throw new ConfigError([{ file: '(arguments)', line: 0, col: 0, path: '', message: 'no plans given; pass one or more `tofu show -json` files: npm run plan:summary -- staging=plan.json' }]);
  const dataLoss = plans.some((p) => p.changes.some((c) => c.dataLoss));
  const top: string[] = [COMMENT_MARKER, '## stackyard plan', ''];
  const lossItems: string[] = [];
  for (const p of plans) for (const c of p.changes.filter((x) => x.dataLoss)) lossItems.push(`> - ${text(p.name)}: ${c.action} of ${text(c.kind ?? c.type)} ${code(c.service)} on ${text(c.host)} (${code(c.address)})`);
  const destructive = plans.flatMap((p) => p.changes.filter((c) => (c.action === 'replace' || c.action === 'delete') && !c.dataLoss).map((c) => ({ p, c })));
  const destroyItems = destructive.map(({ p, c }) => {
    const why = c.attributes.filter((a) => a.forcesReplacement).map((a) => code(a.path));
    const what = namedAs(c);
    if (what) return `- ${text(p.name)}: ${c.action} ${what} on ${text(c.host)} (${code(c.address)})${why.length ? `, forced by ${why.join(', ')}` : ''}`;
    return `- ${text(p.name)}: ${c.action} ${code(c.address)} (${text(c.service)} on ${text(c.host)})${why.length ? `, forced by ${why.join(', ')}` : ''}`;
  });
  const tail: string[] = [];
  for (const p of plans) {
    tail.push(`- ${headline(p)}${p.note ? ` (${text(p.note, 300)})` : ''}`);
    const rotated = rotatedSecrets(p);
    if (rotated.length) tail.push(`  - secrets rotated: ${rotated.map(code).join(', ')} (values never shown; the containers that read them are replaced)`);
  }
  tail.push('');
  for (const n of options.notes ?? []) tail.push(`> ${text(n, 1000)}`, '');
  const cautionIntro = ['> [!CAUTION]', '> **Data loss:** this change replaces or destroys stateful data. Merge only if that is intended (label `allow-data-loss`).'];
  const note = '\n_Details cut to stay under GitHub\'s comment limit: the summary above is complete; run `npm run plan:summary` locally or read the workflow log for everything._\n';
  const more = (n: number, prefix: string) => `${prefix}- … and ${n} more (cut to stay under GitHub's comment limit)`;
  // the lists at the top shrink before the headlines go: what is fixed, then as many items as fit
  const fixed = [...top, ...(dataLoss ? [...cautionIntro, ''] : []), ...(destroyItems.length ? ['**Replaced or destroyed:**', ''] : []), ...tail].join('\n').length;
  let budget = limit - fixed - note.length - 64;
  let headCut = false;
  const fit = (items: string[], prefix: string): string[] => {
    let used = 0;
    let k = 0;
    while (k < items.length && used + items[k].length + 1 + (k + 1 < items.length ? 80 : 0) <= budget) used += items[k++].length + 1;
    const shown = items.slice(0, k);
    if (k < items.length) {
      shown.push(more(items.length - k, prefix));
      headCut = true;
    }
    budget -= shown.reduce((n, l) => n + l.length + 1, 0);
    return shown;
  };
  const head = [...top];
  if (dataLoss) head.push(...cautionIntro, ...fit(lossItems, '> '), '');
  if (destroyItems.length) head.push('**Replaced or destroyed:**', ...fit(destroyItems, ''), '');
  head.push(...tail);

  const details: string[] = [];
  for (const p of plans) {
    if (!p.changes.length) continue;
    details.push(`<details><summary>${text(p.name)}: details</summary>`, '');
    const groups = new Map<string, ResourceChange[]>();
    for (const c of p.changes) {
      const key = `${text(c.host)} / ${text(c.service)}`;
      (groups.get(key) ?? groups.set(key, []).get(key)!).push(c);
    }
    for (const [key, cs] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      details.push(`#### ${key}`, '');
      for (const c of [...cs].sort((a, b) => a.address.localeCompare(b.address))) {
        const what = namedAs(c);
        details.push(`- \`${ICON[c.action] ?? c.action}\` ${c.action} ${code(c.address)}${what ? `: ${what}` : ''}${c.dataLoss ? ' **(data loss)**' : ''}`);
        const shown = c.action === 'create' ? [] : c.attributes;
        for (const a of shown) {
          details.push(`  - ${code(a.path)}: ${code(a.before)} → ${code(a.after)}${a.forcesReplacement ? ' _(forces replacement)_' : ''}`);
        }
      }
      details.push('');
    }
    details.push('</details>', '');
  }
  if (options.diagrams) {
    const picture = diagramSection(plans, options.diagrams, (x) => text(x));
    // the picture goes when it does not fit beside the headlines; the details are cut first
    if (picture && head.join('\n').length + picture.length + note.length + 64 <= limit) head.push(picture);
    else if (picture) head.push('_The picture of the services this plan touches is left out to stay under GitHub\'s comment limit._', '');
  }
  const headText = head.join('\n');
  let body = details.join('\n');
  let truncated = headCut;
  if (headText.length + body.length + 1 > limit) {
    truncated = true;
    const room = Math.max(0, limit - headText.length - note.length - 32);
    const cut = body.lastIndexOf('\n', room);
    body = body.slice(0, cut > 0 ? cut : 0);
    // close an open <details> so the comment still renders
    if ((body.match(/<details>/g) ?? []).length > (body.match(/<\/details>/g) ?? []).length) body += '\n\n</details>';
    body += note;
  }
  return { markdown: `${headText}\n${body}`.slice(0, limit), dataLoss, truncated };
}

const WORDS = new Set([MASK, UNKNOWN, '(none)', ...Object.values(VERSION_WORDS).flat()]);

/** Secrets whose recorded version changes in a plan (at most 50 named). */
export function rotatedSecrets(p: StackPlan): string[] {
  const rotated = p.changes.filter((c) => versionedSecretOf(c.address) !== undefined && c.attributes.some((a) => a.path === 'version' && a.after === VERSION_WORDS.rotated[1]));
  return [...new Set(rotated.map((c) => c.service))].sort().slice(0, 50);
}

/** Plan content as Markdown text: no HTML, no mention, no link, no emphasis, one line, bounded. */
export function text(s: string, max = 200): string {
  let t = String(s).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  if (t.length > max) t = `${t.slice(0, max - 3)}...`;
  return t
    .replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
    .replace(/[\\`*_[\]|~]/g, '\\$&')
    .replace(/@/g, '@\u200b');
}

/** Plan content as a code span (literal on GitHub: no HTML, no mention); internal words in italics. */
export function code(s: string): string {
  if (WORDS.has(s)) return `_${s}_`;
  if (s === '') return '_(empty)_';
  const t = String(s).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/`/g, "'");
  return `\`${t.length > 300 ? `${t.slice(0, 297)}...` : t}\``;
}
