/**
 * Plan summaries for pull requests: the JSON of `tofu show -json <planfile>` (one per stack)
 * becomes one Markdown comment, grouped by host and service, replacements and destroys at the
 * top, data loss loud, sensitive values masked, unknown values marked, under GitHub's limit.
 */
import { ConfigError } from '../config/errors';

export const COMMENT_MARKER = '<!-- stackyard-plan -->';
export const GITHUB_COMMENT_LIMIT = 65_536;
/** Kinds of service whose replacement or removal can lose data (plus every docker_volume). */
export const STATEFUL_KINDS = ['postgres', 'redis', 'prometheus', 'grafana', 'nfs'];

type Json = any;
export type Action = 'create' | 'update' | 'replace' | 'delete' | 'no-op' | 'read';

export interface AttributeChange {
  readonly path: string;
  readonly before: string;
  readonly after: string;
  /** This attribute forces the replacement. */
  readonly forcesReplacement: boolean;
}

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly action: Action;
  readonly host: string;
  readonly service: string;
  readonly kind?: string;
  readonly attributes: readonly AttributeChange[];
  readonly dataLoss: boolean;
}

export interface StackPlan {
  readonly name: string;
  readonly changes: readonly ResourceChange[];
}

/** Throws ConfigError (file, what is wrong) for anything that is not a supported plan. */
export function parsePlan(name: string, text: string, file = name): StackPlan {
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
  const providerKeys = new Map<string, string>();
  for (const r of plan.configuration?.root_module?.resources ?? []) providerKeys.set(r.address, r.provider_config_key ?? '');
  const aliases = Object.keys(plan.configuration?.provider_config ?? {}).map((k) => k.split('.')[1]).filter(Boolean);
  // resources already gone from the configuration: the host is in stackyard's logical id
  const aliasFromName = (name: string) => aliases.find((a) => name.startsWith(`image_${a}_`) || name.startsWith(`network_${a}_`));
  const changes: ResourceChange[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode === 'data') continue;
    const action = actionOf(rc.change.actions);
    if (action === 'no-op' || action === 'read') continue;
    const values = rc.change.after ?? rc.change.before ?? {};
    const labels = labelMap(rc.change.after?.labels ?? rc.change.before?.labels);
    const alias = (providerKeys.get(rc.address) ?? '').split('.')[1] ?? aliasFromName(rc.name);
    const service = labels['stackyard.service'] ?? serviceFromAddress(rc.type, rc.name);
    const kind = labels['stackyard.kind'];
    const destructive = action === 'replace' || action === 'delete';
    const dataLoss = destructive && (rc.type === 'docker_volume' || (rc.type === 'docker_container' && STATEFUL_KINDS.includes(kind ?? '')));
    changes.push({
      address: rc.address,
      type: rc.type,
      action,
      host: labels['stackyard.host'] ?? alias ?? (rc.type.startsWith('github') ? 'github' : '-'),
      service: rc.type.startsWith('github') ? 'github' : service ?? (values.name as string | undefined) ?? rc.name,
      kind,
      attributes: attributeChanges(rc.change, action),
      dataLoss,
    });
  }
  return { name, changes };
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

export function serviceFromAddress(type: string, name: string): string | undefined {
  const m = type === 'docker_container' ? /^svc_(.+)_\d+$/.exec(name) : type === 'docker_volume' ? /^volume_(.+?)_[a-z0-9]+$/.exec(name) : undefined;
  return m ? m[1].replace(/_/g, '-') : type === 'docker_network' ? '(network)' : type === 'docker_image' ? '(images)' : undefined;
}

const MASK = '(sensitive)';
const UNKNOWN = '(known after apply)';

function attributeChanges(change: Json, action: Action): AttributeChange[] {
  const out: AttributeChange[] = [];
  const forced = new Set<string>((change.replace_paths ?? []).map((p: (string | number)[]) => p.join('.')));
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
      if (isObj(au)) for (const k of Object.keys(au)) if (!(k in a) && !(k in b)) walk(undefined, undefined, undefined, undefined, au[k], [...at, k]);
      return;
    }
    if (JSON.stringify(b) !== JSON.stringify(a)) out.push({ path: at.join('.'), before: render(b, bs), after: render(a, as), forcesReplacement: forced.has(at.join('.')) });
  };
  if (action === 'delete') return [];
  walk(action === 'create' ? undefined : change.before ?? undefined, change.after ?? undefined, change.before_sensitive, change.after_sensitive, change.after_unknown, []);
  // Only what the user changed: not computed attributes that become unknown on a replacement
  // (unless they force it), not optional ones dropping from an empty default to unset.
  const empty = new Set(['', '[]', '{}', '0', 'false', '(none)', 'null']);
  return out.filter((c) => {
    if (c.forcesReplacement) return true;
    if (c.after === UNKNOWN) return false;
    if ((c.after === '(none)' || c.after === 'null') && empty.has(c.before)) return false;
    return !(action === 'create' && (c.after === '(none)' || c.after === 'null'));
  });
}

function render(v: Json, sensitive: Json): string {
  if (sensitive === true) return MASK;
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
  if (p.changes.length === 0) return `**${p.name}**: no changes`;
  return `**${p.name}**: ${n('create')} to add, ${n('update')} to change, ${n('replace')} to replace, ${n('delete')} to destroy`;
}

/** Renders one comment for several stacks, within `limit` characters. */
export function renderSummary(plans: readonly StackPlan[], limit = GITHUB_COMMENT_LIMIT): Summary {
  if (plans.length === 0) throw new ConfigError([{ file: '(arguments)', line: 0, col: 0, path: '', message: 'no plans given; pass one or more `tofu show -json` files: npm run plan:summary -- staging=plan.json' }]);
  const dataLoss = plans.some((p) => p.changes.some((c) => c.dataLoss));
  const head: string[] = [COMMENT_MARKER, '## stackyard plan', ''];
  if (dataLoss) {
    head.push('> [!CAUTION]', '> **Data loss:** this change replaces or destroys stateful data. Merge only if that is intended (label `allow-data-loss`).');
    for (const p of plans) for (const c of p.changes.filter((x) => x.dataLoss)) head.push(`> - ${p.name}: ${c.action} of ${c.kind ?? c.type} \`${c.service}\` on ${c.host} (\`${c.address}\`)`);
    head.push('');
  }
  const destructive = plans.flatMap((p) => p.changes.filter((c) => (c.action === 'replace' || c.action === 'delete') && !c.dataLoss).map((c) => ({ p, c })));
  if (destructive.length) {
    head.push('**Replaced or destroyed:**');
    for (const { p, c } of destructive) {
      const why = c.attributes.filter((a) => a.forcesReplacement).map((a) => `\`${a.path}\``);
      head.push(`- ${p.name}: ${c.action} \`${c.address}\` (${c.service} on ${c.host})${why.length ? `, forced by ${why.join(', ')}` : ''}`);
    }
    head.push('');
  }
  for (const p of plans) head.push(`- ${headline(p)}`);
  head.push('');

  const details: string[] = [];
  for (const p of plans) {
    if (!p.changes.length) continue;
    details.push(`<details><summary>${p.name}: details</summary>`, '');
    const groups = new Map<string, ResourceChange[]>();
    for (const c of p.changes) {
      const key = `${c.host} / ${c.service}`;
      (groups.get(key) ?? groups.set(key, []).get(key)!).push(c);
    }
    for (const [key, cs] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      details.push(`#### ${key}`, '');
      for (const c of cs.sort((a, b) => a.address.localeCompare(b.address))) {
        details.push(`- \`${ICON[c.action] ?? c.action}\` ${c.action} \`${c.address}\`${c.dataLoss ? ' **(data loss)**' : ''}`);
        const shown = c.action === 'create' ? [] : c.attributes;
        for (const a of shown) {
          details.push(`  - \`${a.path}\`: ${code(a.before)} → ${code(a.after)}${a.forcesReplacement ? ' _(forces replacement)_' : ''}`);
        }
      }
      details.push('');
    }
    details.push('</details>', '');
  }
  const headText = head.join('\n');
  let body = details.join('\n');
  let truncated = false;
  const note = '\n_Details cut to stay under GitHub\'s comment limit: the summary above is complete; run `npm run plan:summary` locally or read the workflow log for everything._\n';
  if (headText.length + body.length > limit) {
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

function code(s: string): string {
  return s.startsWith('(') ? `_${s}_` : `\`${s.replace(/`/g, "'")}\``;
}
