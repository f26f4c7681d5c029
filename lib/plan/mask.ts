/**
 * Masks the secret values of a `tofu show -json` plan (for the test fixtures, which are committed):
 * every value the plan marks sensitive (resource_changes, resource_drift, output_changes,
 * prior_state / planned_values), every value of a variable declared sensitive, and every
 * occurrence of a known secret value anywhere. A masked value is `(masked <keyed hash>)` under a
 * key drawn for this run: equal values stay equal inside one plan (a rotation still shows as a
 * change), nothing can be reversed, and two runs share nothing.
 */
import * as crypto from 'node:crypto';

type Json = any;
const MASKED = /^\(masked [0-9a-f]{16}\)$/;

export interface MaskOptions {
  /** Secret values to remove wherever they appear (e.g. the TF_VAR_* values of the run). @default [] */
  readonly knownValues?: readonly string[];
  /** Key of the hash. @default - 32 random bytes */
  readonly key?: Buffer;
}

export function maskPlan(plan: Json, options: MaskOptions = {}): Json {
  const key = options.key ?? crypto.randomBytes(32);
  const mask = (v: Json): string => {
    if (typeof v === 'string' && MASKED.test(v)) return v;
    return `(masked ${crypto.createHmac('sha256', key).update(JSON.stringify(v ?? null)).digest('hex').slice(0, 16)})`;
  };
  // masks `value` wherever `sensitive` (tofu's shape: true, or a structure of the value's shape) says so
  const bySensitivity = (value: Json, sensitive: Json): Json => {
    if (sensitive === true) return value === null || value === undefined ? value : mask(value);
    if (!sensitive || typeof sensitive !== 'object' || value === null || typeof value !== 'object') return value;
    const out: Json = Array.isArray(value) ? [...value] : { ...value };
    for (const k of Object.keys(sensitive)) if (k in out) out[k] = bySensitivity(out[k], sensitive[k]);
    return out;
  };
  const change = (c: Json): Json => (c && typeof c === 'object'
    ? { ...c, before: bySensitivity(c.before, c.before_sensitive), after: bySensitivity(c.after, c.after_sensitive) }
    : c);
  const entries = (list: Json) => (Array.isArray(list) ? list.map((rc) => (rc && typeof rc === 'object' ? { ...rc, change: change(rc.change) } : rc)) : list);
  const moduleValues = (m: Json): Json => (m && typeof m === 'object'
    ? {
        ...m,
        ...(Array.isArray(m.resources) ? { resources: m.resources.map((r: Json) => (r && typeof r === 'object' ? { ...r, values: bySensitivity(r.values, r.sensitive_values) } : r)) } : {}),
        ...(Array.isArray(m.child_modules) ? { child_modules: m.child_modules.map(moduleValues) } : {}),
      }
    : m);
  const values = (v: Json): Json => (v && typeof v === 'object' && v.root_module ? { ...v, root_module: moduleValues(v.root_module) } : v);

  const out: Json = { ...plan };
  if ('resource_changes' in out) out.resource_changes = entries(out.resource_changes);
  if ('resource_drift' in out) out.resource_drift = entries(out.resource_drift);
  if (out.output_changes && typeof out.output_changes === 'object') {
    out.output_changes = Object.fromEntries(Object.entries(out.output_changes).map(([k, c]) => [k, change(c)]));
  }
  if ('planned_values' in out) out.planned_values = values(out.planned_values);
  if (out.prior_state && typeof out.prior_state === 'object') out.prior_state = { ...out.prior_state, values: values(out.prior_state.values) };
  if (out.variables && typeof out.variables === 'object') {
    const declared = out.configuration?.root_module?.variables ?? {};
    out.variables = Object.fromEntries(Object.entries(out.variables).map(([k, v]: [string, Json]) => [k, declared[k]?.sensitive && v && typeof v === 'object' ? { ...v, value: mask(v.value) } : v]));
  }
  const known = [...new Set(options.knownValues ?? [])].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
  if (!known.length) return out;
  const scrub = (v: Json): Json => {
    if (typeof v === 'string') return known.reduce((s, k) => (s.includes(k) ? s.split(k).join(mask(k)) : s), v);
    if (Array.isArray(v)) return v.map(scrub);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [scrub(k), scrub(x)]));
    return v;
  };
  return scrub(out);
}
