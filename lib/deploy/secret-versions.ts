/**
 * Secret versions: a keyed hash of each secret's value, recorded by the deploy, so a plan that
 * holds no value (a pull-request plan with placeholders) can still tell an unchanged secret from
 * a rotated one. README "Security model" has the design and the attacker's view; in short:
 *
 *   key     = PBKDF2-SHA512(state passphrase, "stackyard secret versions v1" NUL environment, 600,000)
 *   version = "v1:" + first 128 bits of HMAC-SHA256(key, NAME NUL value), hex
 *
 * Without the key a version tells nothing about the value and cannot test a guess (a 4-digit PIN
 * is as safe as a 40-character token); the key comes from the passphrase that already decrypts the
 * state, which holds every value. The name is in the MAC (two secrets with one value get unrelated
 * versions) and the environment in the salt (staging and production never share versions).
 * The stack records a version only in `terraform_data.secret_version_<NAME>` (encrypted state,
 * plans), never next to a value: not on a container, not in an env or a file.
 */
import * as crypto from 'node:crypto';

/**
 * Prefix of the placeholder values a pull-request plan gives every secret (it never holds a real
 * one). A changed attribute whose planned value holds a placeholder is compared as unchanged: the
 * plan cannot know the value, and a placeholder must not show as a rotation or force a replacement.
 */
export const PLACEHOLDER_PREFIX = 'stackyard-plan-placeholder-';

/** Logical id prefix of the terraform_data resource recording a secret's version. */
export const SECRET_VERSION_RESOURCE = 'secret_version_';

/** The secret whose version a resource address records, or undefined. */
export function versionedSecretOf(address: string): string | undefined {
  const prefix = `terraform_data.${SECRET_VERSION_RESOURCE}`;
  return address.startsWith(prefix) ? address.slice(prefix.length) : undefined;
}

/** Terraform variable (map of secret name → version) the deploy gives the stack. */
export const SECRET_VERSIONS_VARIABLE = 'STACKYARD_SECRET_VERSIONS';
/** Secret in the `<env>-plan` GitHub environment holding the recorded versions (JSON) for pull-request plans. */
export const PLAN_VERSIONS_SECRET = SECRET_VERSIONS_VARIABLE;
/** As OpenTofu's pbkdf2 key provider: a passphrase guess costs as much as against the state itself. */
export const KEY_ITERATIONS = 600_000;
export const VERSION = /^v1:[0-9a-f]{32}$/;
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** The version key's salt: the environment, so staging and production never share versions. */
const keySalt = (environment: string) => `stackyard secret versions v1\0${environment}`;
const KEY_BYTES = 32;
const KEY_DIGEST = 'sha512';

/** The version key of an environment, from its state passphrase. */
export function versionKey(passphrase: string, environment: string, iterations = KEY_ITERATIONS): Buffer {
  if (!passphrase) throw new Error('the state passphrase is empty; secret versions need it');
  return crypto.pbkdf2Sync(passphrase, keySalt(environment), iterations, KEY_BYTES, KEY_DIGEST);
}

/**
 * A version key derived ahead of need, for the passphrase and environment it was derived from: a
 * deploy starts the derivation (libuv's thread pool, the other core) before it synthesizes, so its
 * half second overlaps synthesis, host checks and the lock instead of following them.
 */
export interface PreparedKey {
  readonly passphrase: string;
  readonly environment: string;
  readonly key: Buffer;
}

/** `versionKey` off the main thread; undefined (never a rejection) when there is no passphrase or it fails. */
export function prepareVersionKey(passphrase: string | undefined, environment: string, iterations = KEY_ITERATIONS): Promise<PreparedKey | undefined> {
  if (!passphrase) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    try {
      crypto.pbkdf2(passphrase, keySalt(environment), iterations, KEY_BYTES, KEY_DIGEST, (err, key) => resolve(err ? undefined : { passphrase, environment, key }));
    } catch {
      resolve(undefined); // arguments refused (no such digest, iterations out of range): the deploy derives it itself and says why
    }
  });
}

export function secretVersion(key: Buffer, name: string, value: string): string {
  return `v1:${crypto.createHmac('sha256', key).update(`${name}\0${value}`).digest('hex').slice(0, 32)}`;
}

/** Versions of the given values, by name (sorted). */
export function secretVersions(key: Buffer, values: ReadonlyMap<string, string>): Record<string, string> {
  return Object.fromEntries([...values.keys()].sort().map((n) => [n, secretVersion(key, n, values.get(n)!)]));
}

/** What a recorded version stands in for when none is known: compared as unchanged, like a placeholder secret. */
export const unrecorded = (name: string) => `${PLACEHOLDER_PREFIX}version-${name}`;

/**
 * The versions a pull-request plan gives the stack: the recorded one of each secret (the
 * `<env>-plan` secret, JSON, as the last deploy wrote it or as a maintainer set it to announce a
 * rotation), a placeholder for a secret without one. Throws on anything malformed (naming the
 * entry, never repeating a value).
 */
export function planVersions(names: readonly string[], recorded: string | undefined): Record<string, string> {
  let given: Record<string, unknown> = {};
  const text = (recorded ?? '').trim();
  if (text) {
    if (text.length > 256 * 1024) throw new Error(`${PLAN_VERSIONS_SECRET} is larger than 256 KiB`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${PLAN_VERSIONS_SECRET} is not JSON; it holds {"NAME": "v1:<32 hex>", ...} as the deploy records it`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${PLAN_VERSIONS_SECRET} is not a JSON object of secret name → version`);
    given = parsed as Record<string, unknown>;
    for (const [k, v] of Object.entries(given)) {
      if (!SECRET_NAME.test(k)) throw new Error(`${PLAN_VERSIONS_SECRET} has an entry that is not a secret name`);
      if (typeof v !== 'string' || !VERSION.test(v)) throw new Error(`${PLAN_VERSIONS_SECRET} has a malformed version for ${k} (expected v1:<32 hex>)`);
    }
  }
  return Object.fromEntries([...names].sort().map((n) => [n, Object.hasOwn(given, n) ? (given[n] as string) : unrecorded(n)]));
}

interface StackWithVersions {
  readonly resource?: Readonly<Record<string, unknown>>;
  readonly variable?: Readonly<Record<string, unknown>>;
}

/** Whether a synthesized stack records secret versions (state encryption on, secrets declared). */
export function recordsVersions(stack: StackWithVersions): boolean {
  return stack.variable?.[SECRET_VERSIONS_VARIABLE] !== undefined;
}

/** The secret names whose versions a synthesized stack records. */
export function versionedSecrets(stack: StackWithVersions): string[] {
  const data = (stack.resource?.terraform_data ?? {}) as Record<string, unknown>;
  return Object.keys(data).filter((k) => k.startsWith(SECRET_VERSION_RESOURCE)).map((k) => k.slice(SECRET_VERSION_RESOURCE.length)).sort();
}

/** Container address → the secrets whose rotation replaces it (its replace_triggered_by), from a synthesized stack. */
export function secretReaders(stack: StackWithVersions): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, body] of Object.entries((stack.resource?.docker_container ?? {}) as Record<string, { lifecycle?: { replace_triggered_by?: unknown } }>)) {
    const triggers = body.lifecycle?.replace_triggered_by;
    const names = (Array.isArray(triggers) ? triggers : []).map((t) => (typeof t === 'string' ? versionedSecretOf(t) : undefined)).filter((n): n is string => !!n);
    if (names.length) out.set(`docker_container.${name}`, names.sort());
  }
  return out;
}

/**
 * The versions a deploy records: of the value each secret is deployed with, keyed from the state
 * passphrase. A destroy (`placeholder`: values are dummies) records nothing and gets placeholders.
 */
export function deployVersions(input: {
  readonly environment: string;
  readonly names: readonly string[];
  readonly valueOf: (name: string) => string | undefined;
  readonly passphrase: string | undefined;
  readonly placeholder: boolean;
  readonly iterations?: number;
  /** Used when derived from this passphrase for this environment (with the default iterations); derived here otherwise. */
  readonly prepared?: PreparedKey;
}): Record<string, string> {
  if (input.placeholder) return planVersions(input.names, undefined);
  const values = new Map<string, string>();
  for (const n of input.names) {
    const v = input.valueOf(n);
    if (v === undefined) throw new Error(`no value for secret ${n}: its version cannot be recorded`);
    values.set(n, v);
  }
  const p = input.prepared;
  const key = p && input.iterations === undefined && p.passphrase === input.passphrase && p.environment === input.environment
    ? p.key
    : versionKey(input.passphrase ?? '', input.environment, input.iterations);
  return secretVersions(key, values);
}

/**
 * `env` plus TF_VAR_STACKYARD_SECRET_VERSIONS as a deploy computes it from the TF_VAR_<NAME> values
 * in `env` (and the passphrase among them): for engine commands run by hand in a stack folder
 * (plan, state pull), which need the variable like any other. `env` unchanged for a stack that
 * records no versions.
 */
export function withSecretVersions(stack: StackWithVersions & { readonly '//'?: unknown }, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!recordsVersions(stack)) return env;
  const meta = ((stack['//'] ?? {}) as { stackyard?: { environment?: string; statePassphraseVariable?: string } }).stackyard ?? {};
  const versions = deployVersions({
    environment: meta.environment ?? '',
    names: versionedSecrets(stack),
    valueOf: (n) => env[`TF_VAR_${n}`],
    passphrase: meta.statePassphraseVariable ? env[`TF_VAR_${meta.statePassphraseVariable}`] : undefined,
    placeholder: false,
  });
  return { ...env, [`TF_VAR_${SECRET_VERSIONS_VARIABLE}`]: JSON.stringify(versions) };
}
