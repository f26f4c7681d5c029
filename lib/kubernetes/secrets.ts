/**
 * The Secret objects a Kubernetes environment's pods reference (`npm run secrets:k8s`), built from
 * the deploy-time values: one Secret per declared secret and one per file that embeds secrets
 * (DATABASE_URL, redis.conf), each holding its text under SECRET_KEY, the key the manifests mount.
 * An empty value counts as missing (an unset GitHub secret reaches CI as an empty variable).
 */
import { stringify } from 'yaml';
import type { Environment } from '../environment';
import { fileSecretName, SECRET_KEY, secretObjectName } from './render';

/** Annotation on each Secret: the `kubernetes.secretVersions` entry its value was applied as. */
export const SECRET_VERSION = 'stackyard.dev/version';

export interface SecretObject {
  readonly apiVersion: 'v1';
  readonly kind: 'Secret';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly annotations?: Record<string, string> };
  readonly type: 'Opaque';
  readonly data: Record<string, string>;
}

export type SecretsResult = { readonly missing: string[] } | { readonly missing: []; readonly objects: SecretObject[] };

export function kubernetesSecrets(model: Environment, value: (name: string) => string | undefined): SecretsResult {
  const cfg = model.kubernetes!;
  // an empty value counts as missing, like an unset one
  const given = (n: string): string | undefined => value(n) || undefined;
  const missing = model.secretNames.filter((n) => given(n) === undefined);
  if (missing.length) return { missing };
  const secret = (name: string, text: string, version?: string): SecretObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: cfg.namespace, ...(version === undefined ? {} : { annotations: { [SECRET_VERSION]: version } }) },
    type: 'Opaque',
    data: { [SECRET_KEY]: Buffer.from(text).toString('base64') },
  });
  const objects = model.secretNames.map((n) => secret(secretObjectName(n), given(n)!, String(cfg.secretVersions[n] ?? 1)));
  for (const s of model.services) {
    for (const f of s.files) {
      if (typeof f.content === 'function' || !f.sensitive) continue;
      const text = f.content.map((p) => (typeof p === 'string' ? p : p.encode === 'url' ? encodeURIComponent(given(p.secret)!) : given(p.secret)!)).join('');
      objects.push(secret(fileSecretName(s, f.path), text));
    }
  }
  return { missing: [], objects };
}

/** The objects as one multi-document YAML stream for `kubectl apply -f -`. */
export function secretsYaml(objects: readonly SecretObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}
