/**
 * Literal secrets typed into an environment file. Every string of the validated file is looked
 * at, not only `env:`: a password inside a URL, `--password=…` or `PGPASSWORD=…` in a command or
 * healthcheck, a secret-named env variable or label with a value. Where the text says it is a
 * secret (a URL's password, an assignment or flag argument, a key that ends in the secret word:
 * DB_PASSWORD, API_TOKEN) it is an error: the file is committed, and every string also reaches
 * plans, `docker inspect` and logs. So is a value holding a credential (ghp_…, AKIA…, a PEM
 * private key), under any key and anywhere in the string. Where the key only mentions the word
 * (PASSWORD_POLICY, TOKEN_FOR_CI) it is an error when the value settles it (a URL password, an
 * assignment, a credential, an opaque string of 16+ characters mixing letters and digits) and a
 * warning otherwise: probably a setting about a secret (`strict`, `vault`), perhaps a secret. Messages
 * never repeat the value.
 */

/** Words that name a secret in a key, a flag or an assignment. */
const WORD = '(?:password|passwd|passphrase|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|secret[_-]?key|credentials?)';
const SECRET_WORD = new RegExp(WORD, 'i');
/** A key that ends in the secret word: what it holds is the secret itself. */
const ENDS_IN_SECRET_WORD = new RegExp(`${WORD}$`, 'i');
/** A key whose last segment says it holds something else than the secret: DB_PASSWORD_FILE, TOKEN_URL, PASSWORD_MIN_LENGTH. */
const NOT_THE_VALUE = /[_.-](file|path|dir|url|uri|endpoint|host|port|expiry|expires|ttl|lifetime|age|length|len|min|max|count|size|limit|retries|attempts|rounds|iterations|cost|bits|version|interval|name|user|username|header|id|type|mode|algorithm|timeout|seconds|minutes|hours|days|enabled|required|env|var)$/i;
/**
 * A value whose shape alone says it is a credential, whatever its key: GitHub, GitLab, Slack,
 * npm and Stripe tokens by their documented prefixes, an AWS access key id, a PEM private key.
 */
const CREDENTIAL_SHAPE = /(?:^|[^A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|npm_[A-Za-z0-9]{30,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])|-----BEGIN [A-Z ]*PRIVATE KEY-----)/;
/**
 * An opaque value: one word of 16 or more characters mixing letters and digits (a generated key,
 * a random password). Under a key that mentions a secret word it settles the guess: a setting
 * (`strict`, `vault`, `30`) is not shaped like that.
 */
const OPAQUE = /^(?=[^\s]*[A-Za-z])(?=[^\s]*[0-9])[^\s]{16,}$/;
/** A value that refers to a secret instead of holding it: a path, an expansion, a placeholder. */
const REFERENCE = /^(["']?\$|\/|<|\{\{|\*+$)/;
/** scheme://user:password@host, the password part captured. */
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:([^\s/@]+)@/i;
/** NAME_PASSWORD=value, --password=value, token: value; the value captured. */
const ASSIGNMENT = new RegExp(`(?:^|[^A-Za-z0-9_.-])-{0,2}[A-Za-z0-9_.-]*${WORD}(?:=|:\\s+)\\s*([^\\s;&|]+)`, 'i');
/** A flag that takes the secret as its next argument: --password, --api-key. */
const FLAG = new RegExp(`^-{1,2}[A-Za-z0-9_.-]*${WORD}$`, 'i');

export interface SecretValueProblem {
  readonly at: (string | number)[];
  readonly message: string;
  /** The text says it is a secret (an error); false when a key only mentions the word (a warning). */
  readonly certain: boolean;
}

/** True when a key (env variable, label) names a secret and its value is the secret itself. */
export function isSecretKey(key: string): boolean {
  return SECRET_WORD.test(key) && !NOT_THE_VALUE.test(key);
}

/** What secret a string holds (never the value itself), or undefined. */
export function secretInText(text: string): string | undefined {
  if (CREDENTIAL_SHAPE.test(text)) return 'a credential (its shape: a token with a provider\'s prefix, an AWS access key id or a private key)';
  const url = URL_CREDENTIALS.exec(text);
  if (url && !REFERENCE.test(url[1])) return 'a password inside a URL (scheme://user:password@host)';
  const assign = ASSIGNMENT.exec(text);
  if (assign && !REFERENCE.test(assign[1])) return 'a secret assigned in plain text (password=…, --token=…)';
  return undefined;
}

/**
 * A value typed in place of a secret: a non-empty string that is no reference, or a number (a
 * PIN, a numeric token) other than 0 and 1, which switch something on or off like true/false.
 */
const literalValue = (v: unknown): boolean => (typeof v === 'string' && v.trim() !== '' && !REFERENCE.test(v.trim())) || (typeof v === 'number' && v !== 0 && v !== 1);

/** Every literal secret in a validated environment file, with its path. */
export function secretValueProblems(config: unknown): SecretValueProblem[] {
  const out: SecretValueProblem[] = [];
  const advice = 'declare a secret in the top-level `secrets:` list, pass its value as TF_VAR_<NAME> at deploy time and deliver it with this service\'s `secrets:` (or the *_FILE settings `uses:` wires)';
  const walk = (v: unknown, at: (string | number)[]): void => {
    if (Array.isArray(v)) {
      const argv = at[at.length - 1] === 'command' || at[at.length - 1] === 'entrypoint' || at[at.length - 1] === 'test';
      v.forEach((item, i) => {
        if (argv && typeof v[i - 1] === 'string' && FLAG.test(v[i - 1] as string) && literalValue(item) && !String(item).startsWith('-')) {
          out.push({ at: [...at, i], message: `looks like a secret value in plain YAML (the argument of ${v[i - 1]}); ${advice}`, certain: true });
        } else walk(item, [...at, i]);
      });
      return;
    }
    if (v !== null && typeof v === 'object') {
      const map = at[at.length - 1];
      for (const [k, child] of Object.entries(v)) {
        if ((map === 'env' || map === 'labels' || map === 'variables') && isSecretKey(k) && literalValue(child)) {
          const name = k.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
          // A key that only mentions the word is a guess, unless the value settles it: a password in
          // a URL, an assignment, a credential's shape, an opaque generated-looking string.
          const text = String(child).trim();
          const certain = ENDS_IN_SECRET_WORD.test(k) || secretInText(text) !== undefined || OPAQUE.test(text);
          const fix = map === 'env'
            ? `declare ${name} in the top-level \`secrets:\` list, list it in this service's \`secrets:\` and pass its value as TF_VAR_${name} at deploy time`
            : advice;
          out.push({
            at: [...at, k],
            message: certain
              ? `looks like a secret value in plain YAML${map === 'env' ? '' : ` (${map} show in plans and \`docker inspect\`)`}; ${fix}`
              : `may be a secret value in plain YAML (the name mentions one); if it is one, ${fix}; if it is a setting, rename the key or ignore this warning`,
            certain,
          });
        } else walk(child, [...at, k]);
      }
      return;
    }
    if (typeof v === 'string') {
      const what = secretInText(v);
      if (what) out.push({ at, message: `holds ${what} in plain YAML; ${advice}`, certain: true });
    }
  };
  walk(config, []);
  return out;
}
