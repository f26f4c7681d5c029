/**
 * OpenTofu state and plan encryption (https://opentofu.org/docs/language/state/encryption/):
 * AES-GCM with a key derived (PBKDF2) from a passphrase given at deploy time as
 * TF_VAR_STATE_PASSPHRASE. Both the state and saved plan files are encrypted and `enforced`,
 * so OpenTofu refuses to write either in clear. Migrating an unencrypted state reads it through
 * the `unencrypted` fallback once (STACKYARD_MIGRATE_STATE=<env> at synth; deploy.sh sets it
 * when it finds a plain local state), then writes it encrypted.
 */

/** Terraform variable (TF_VAR_STATE_PASSPHRASE) holding the state passphrase. */
export const STATE_PASSPHRASE_VARIABLE = 'STATE_PASSPHRASE';
/**
 * PBKDF2-HMAC-SHA512 iterations of the state key: OWASP's figure for SHA-512 (210,000; OpenTofu
 * accepts 200,000 and up). OpenTofu's default, 600,000, is OWASP's figure for SHA-256 applied to
 * SHA-512. Every engine run derives the key again for each state read and write (a fresh salt per
 * write), about 0.35 s each at 600,000 on this machine's cores, three to six times per deploy;
 * at 210,000 a guess against a stolen state still costs what OWASP asks for. The iterations are
 * recorded with each encrypted state, so states written at 600,000 still decrypt.
 */
export const STATE_KEY_ITERATIONS = 210_000;
/** Set to an environment name at synth to let that environment read its unencrypted state once. */
export const MIGRATE_STATE_VARIABLE = 'STACKYARD_MIGRATE_STATE';

/**
 * The `terraform.encryption` block, in Terraform JSON syntax. Method and key-provider references
 * are static traversals, written as bare strings (`"method.aes_gcm.stackyard"`): OpenTofu 1.12
 * rejects a `${…}` template there ("A single static variable reference is required"), and
 * `tofu validate` still reports success, so test/e2e/safety.test.ts proves the form on the engine.
 * While migrating, `enforced` is off for the state (OpenTofu refuses the unencrypted fallback of an
 * enforced state); the deploy after the migration enforces it again.
 */
export function encryptionBlock(migrate: boolean): Record<string, unknown> {
  const method = 'method.aes_gcm.stackyard';
  return {
    key_provider: { pbkdf2: { stackyard: { passphrase: `\${var.${STATE_PASSPHRASE_VARIABLE}}`, hash_function: 'sha512', iterations: STATE_KEY_ITERATIONS } } },
    method: {
      aes_gcm: { stackyard: { keys: 'key_provider.pbkdf2.stackyard' } },
      ...(migrate ? { unencrypted: { migrate: {} } } : {}),
    },
    state: migrate ? { method, fallback: { method: 'method.unencrypted.migrate' } } : { method, enforced: true },
    plan: { method, enforced: true },
  };
}

export function migrationRequested(environment: string, value: string | undefined): boolean {
  return (value ?? '').split(',').map((s) => s.trim()).includes(environment);
}

/**
 * Whether a state encrypted with some passphrase may exist already, so that none may be made up:
 * a remote backend's may (this machine cannot tell); a local one does when its file holds a state
 * that is not plaintext (an empty or missing file is no state).
 */
export function encryptedStateMayExist(backend: string, localState: string): boolean {
  return backend !== 'local' || (localState.trim() !== '' && !isPlaintextState(localState));
}

/** Whether a state file's text is an unencrypted state (as opposed to an encrypted one or no state). */
export function isPlaintextState(text: string): boolean {
  if (!text.trim()) return false;
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    return !('encrypted_data' in j) && ('resources' in j || 'lineage' in j);
  } catch {
    return false;
  }
}
