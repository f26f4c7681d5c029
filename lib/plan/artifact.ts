/**
 * The only form in which a plan leaves the runner that computed it: the summary data (what the
 * comment shows: actions, addresses, changed attributes with sensitive values already masked),
 * never the JSON of `tofu show -json`. A reader treats it as untrusted data: size-limited, parsed
 * with a strict schema (bounded strings and lists, known actions, stack names as in environment
 * files); anything else is refused with a message, never a stack trace.
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../config/errors';
import type { StackPlan } from './summary';

export const ARTIFACT_KIND = 'stackyard-plan-summary';
/** Larger than any real summary (a comment is at most 65,536 characters), small enough to read safely. */
export const ARTIFACT_MAX_BYTES = 4 * 1024 * 1024;

const str = (max: number) => z.string().max(max);
const Attribute = z.strictObject({ path: str(1000), before: str(1000), after: str(1000), forcesReplacement: z.boolean() });
const Change = z.strictObject({
  address: str(1000),
  type: z.string().regex(/^[a-z][a-z0-9_]{0,99}$/),
  action: z.enum(['create', 'update', 'replace', 'delete', 'forget']),
  host: str(200),
  service: str(200),
  kind: str(100).optional(),
  name: str(300).optional(),
  attributes: z.array(Attribute).max(500),
  dataLoss: z.boolean(),
});
const Plan = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
  changes: z.array(Change).max(10_000),
  note: str(300).optional(),
});
export const ArtifactSchema = z.strictObject({ kind: z.literal(ARTIFACT_KIND), version: z.literal(1), plans: z.array(Plan).max(100) });

export function toArtifact(plans: readonly StackPlan[]): string {
  const data = { kind: ARTIFACT_KIND, version: 1, plans: plans.map((p) => ({ name: p.name, changes: p.changes, ...(p.note ? { note: p.note } : {}) })) };
  return JSON.stringify(ArtifactSchema.parse(data)) + '\n';
}

/** Reads an artifact written by toArtifact (possibly by untrusted code): StackPlans, or a ConfigError. */
export function readArtifact(file: string): StackPlan[] {
  const fail = (message: string): never => {
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message }]);
  };
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return fail('file does not exist');
  }
  if (!st.isFile()) fail('is not a regular file');
  if (st.size > ARTIFACT_MAX_BYTES) fail(`is ${st.size} bytes; a plan summary is at most ${ARTIFACT_MAX_BYTES}`);
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return fail('is not JSON; expected a plan summary written by `npm run plan:summary -- ... --json <file>`');
  }
  const parsed = ArtifactSchema.safeParse(data);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return fail(`is not a plan summary: ${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  return parsed.data.plans as StackPlan[];
}
