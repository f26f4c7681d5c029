/**
 * `npm run --silent secrets:k8s -- <environment> | kubectl apply -f -`: the Secret objects a
 * Kubernetes environment's pods reference, built from the same deploy-time TF_VAR_<NAME> values
 * the Docker target uses (lib/kubernetes/secrets.ts): one Secret per declared secret and one per
 * file that embeds secrets (DATABASE_URL, REDIS_URL, redis.conf), each under the key the
 * manifests mount. Pipe it straight into kubectl: the manifests carry the values, so never
 * redirect them to a file or a log. Refuses when a value is missing or empty, naming it.
 * `--placeholders` fills every value with a placeholder instead (scripts/validate-k8s.sh uses it to
 * have the API server check the objects); no real value is read then.
 */
import { loadEnvironments } from '../lib/environments';
import { ConfigError, formatProblem } from '../lib/config/errors';
import { kubernetesSecrets, secretsYaml } from '../lib/kubernetes/secrets';

export function main(argv: readonly string[], env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): number {
  const placeholders = argv.includes('--placeholders');
  const name = argv.find((a) => a !== '--placeholders');
  if (!name) {
    err('usage: npm run --silent secrets:k8s -- <environment> [--placeholders] | kubectl apply -f -\n');
    return 2;
  }
  try {
    const model = loadEnvironments(env.ENVIRONMENTS_DIR ?? 'environments', [name], (l) => process.stderr.write(`${l}\n`))[0];
    if (!model || model.platform !== 'kubernetes') {
      err(`${name} is not a Kubernetes environment\n`);
      return 1;
    }
    const result = kubernetesSecrets(model, placeholders ? (n) => `placeholder-${n.toLowerCase().replace(/_/g, '-')}` : (n) => env[`TF_VAR_${n}`]);
    if (!('objects' in result)) {
      err(`missing values (set TF_VAR_<NAME>, not empty): ${result.missing.join(', ')}\n`);
      return 1;
    }
    out(secretsYaml(result.objects));
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) err(formatProblem(p) + '\n');
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), process.env, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
}
