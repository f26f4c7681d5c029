/**
 * Deploy-time secret values: which come from the process environment, which from
 * .stackyard/secrets/<env>.env, which may be generated, and which are missing. Values are never
 * printed; messages name variables only.
 */
import * as crypto from 'node:crypto';

const LINE = /^(TF_VAR_[A-Za-z0-9_]+)=(.*)$/;

/**
 * Reads a secrets file: `TF_VAR_<NAME>=<value>` lines; blank lines, `#` comments and other lines
 * are ignored. The last line counts without a trailing newline; a CR of a CRLF file is not part
 * of the value. The first line for a name wins (later ones never replace a value).
 */
export function parseSecretsFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const m = LINE.exec(line);
    if (m && !out.has(m[1])) out.set(m[1], m[2]);
  }
  return out;
}

/** The file with new lines appended: existing content kept byte for byte, a newline added first when the last line lacks one. */
export function appendSecrets(existing: string, lines: ReadonlyMap<string, string>): string {
  if (!lines.size) return existing;
  const sep = existing.length && !existing.endsWith('\n') ? '\n' : '';
  return existing + sep + [...lines].map(([k, v]) => `${k}=${v}\n`).join('');
}

export type SecretsMode = 'require' | 'generate' | 'placeholder';

export interface SecretsInput {
  readonly environment: string;
  readonly production: boolean;
  /** Variables the stack needs (names without TF_VAR_). */
  readonly variables: readonly string[];
  /** The variable holding the state passphrase, if the state is encrypted. */
  readonly passphraseVariable?: string;
  /** Values already in the process environment (TF_VAR_<NAME> → value). */
  readonly processEnv: Readonly<Record<string, string | undefined>>;
  /** Values of the secrets file. */
  readonly file: ReadonlyMap<string, string>;
  readonly mode: SecretsMode;
  /** An encrypted state exists already: a generated passphrase could never read it. */
  readonly encryptedStateExists: boolean;
  /** The environment pushes its secrets to GitHub (`github:`): a generated value would overwrite the one kept there. */
  readonly github: boolean;
  /** Random value source (tests pass a fixed one). */
  readonly random?: () => string;
}

export interface SecretsResult {
  /** TF_VAR_<NAME> → value to export into the deploy's environment (file and generated values only). */
  readonly exports: Map<string, string>;
  /** TF_VAR_<NAME> → value to append to the secrets file. */
  readonly generated: Map<string, string>;
  readonly messages: string[];
  /** Set when the deploy must stop. */
  readonly error?: string;
}

export const PLACEHOLDER = 'unused-by-destroy';

export function resolveSecrets(input: SecretsInput): SecretsResult {
  const random = input.random ?? (() => crypto.randomBytes(24).toString('hex'));
  const exports = new Map<string, string>();
  const generated = new Map<string, string>();
  const messages: string[] = [];
  const missing: string[] = [];
  const file = `.stackyard/secrets/${input.environment}.env`;
  if (input.mode === 'generate' && (input.production || input.github)) {
    const why = input.production ? 'it is marked production: true' : 'its secrets are kept as GitHub secrets (`github:`), which generated values would overwrite';
    return {
      exports, generated, messages,
      error: `--generate-secrets is refused for ${input.environment}: ${why}. Give every secret as TF_VAR_<NAME> (CI passes them from GitHub secrets) or in ${file}`,
    };
  }
  for (const name of input.variables) {
    const v = `TF_VAR_${name}`;
    if (input.processEnv[v]) continue;
    const fromFile = input.file.get(v);
    if (fromFile) {
      exports.set(v, fromFile);
      continue;
    }
    const isPassphrase = name === input.passphraseVariable;
    if (input.mode === 'placeholder' && !isPassphrase) {
      exports.set(v, PLACEHOLDER); // destroy evaluates the configuration but deploys nothing
      continue;
    }
    if (input.mode === 'generate') {
      if (isPassphrase && input.encryptedStateExists) {
        missing.push(name);
        messages.push(`not generating ${name}: the state of ${input.environment} is already encrypted with a passphrase this machine does not have`);
        continue;
      }
      const value = random();
      generated.set(v, value);
      exports.set(v, value);
      messages.push(`generated secret ${name} for ${input.environment} (stored in ${file})`);
      continue;
    }
    missing.push(name);
  }
  if (missing.length) {
    const pass = input.passphraseVariable && missing.includes(input.passphraseVariable)
      ? `\n  ${input.passphraseVariable} is the passphrase of the encrypted state: without the one it was encrypted with, the state cannot be read`
      : '';
    return {
      exports, generated, messages,
      error: `environment ${input.environment} needs these secrets at deploy time: ${missing.join(' ')}
  give each as TF_VAR_<NAME> in the environment (CI passes them from GitHub secrets),
  or put TF_VAR_<NAME>=<value> lines in ${file} (mode 600, never committed)${pass}`,
    };
  }
  return { exports, generated, messages };
}
