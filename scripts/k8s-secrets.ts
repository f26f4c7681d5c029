/**
 * `npm run --silent secrets:k8s -- <environment> | kubectl apply -f -`: the Secret objects a
 * Kubernetes environment's pods reference, built from the same deploy-time TF_VAR_<NAME> values
 * the Docker target uses: one Secret per declared secret (key `value`) and one per file that
 * embeds secrets (DATABASE_URL, REDIS_URL, redis.conf). Pipe it straight into kubectl: the
 * manifests carry the values, so never redirect them to a file or a log. Refuses when a value is
 * missing, naming it.
 */
import { loadStacks } from '../lib/app';
import { ConfigError, formatProblem } from '../lib/config/errors';
import { fileSecretName, secretObjectName } from '../lib/kubernetes/render';

function main(): number {
  const name = process.argv[2];
  if (!name) {
    process.stderr.write('usage: npm run --silent secrets:k8s -- <environment> | kubectl apply -f -\n');
    return 2;
  }
  try {
    const stack = loadStacks(process.env.ENVIRONMENTS_DIR ?? 'environments', [name])[0];
    if (!stack || stack.platform !== 'kubernetes') {
      process.stderr.write(`${name} is not a Kubernetes environment\n`);
      return 1;
    }
    const value = (n: string) => process.env[`TF_VAR_${n}`];
    const missing = stack.secretNames.filter((n) => value(n) === undefined);
    if (missing.length) {
      process.stderr.write(`missing values (set TF_VAR_<NAME>): ${missing.join(', ')}\n`);
      return 1;
    }
    const secret = (objectName: string, text: string) =>
      ['apiVersion: v1', 'kind: Secret', 'metadata:', `  name: ${objectName}`, `  namespace: ${stack.kubernetes!.namespace}`, 'type: Opaque', 'data:', `  value: ${Buffer.from(text).toString('base64')}`].join('\n');
    const docs = stack.secretNames.map((n) => secret(secretObjectName(n), value(n)!));
    for (const s of stack.services) {
      for (const f of s.files) {
        if (typeof f.content === 'function' || !f.sensitive) continue;
        const text = f.content.map((p) => (typeof p === 'string' ? p : p.encode === 'url' ? encodeURIComponent(value(p.secret)!) : value(p.secret)!)).join('');
        docs.push(secret(fileSecretName(s, f.path), text));
      }
    }
    process.stdout.write(docs.join('\n---\n') + '\n');
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) process.stderr.write(formatProblem(p) + '\n');
    return 1;
  }
}

process.exitCode = main();
