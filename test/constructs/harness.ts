/** Builds an environment model from code (no YAML), renders its Terraform stack for Docker, returns parsed JSON. */
import { Testing } from 'cdktf';
import { environmentStack } from '../../lib/app';
import { Environment } from '../../lib/environment';
import { checkEnvironment } from '../../lib/invariants';

export function dockerStack(build: (environment: Environment) => void, opts: { production?: boolean; secrets?: string[]; hosts?: string[]; addresses?: string[] } = {}) {
  const environment = new Environment({
    name: 'unit',
    hosts: (opts.hosts ?? ['main']).map((name, i) => ({ name, docker: `ssh://deploy@${name}.example.com:22`, address: opts.addresses?.[i] ?? `10.0.0.${i + 1}`, sshOptions: [] })),
    secrets: opts.secrets ?? ['DB_PASSWORD', 'REDIS_PASSWORD', 'JWT_SECRET'],
    production: opts.production,
  });
  build(environment);
  const problems = checkEnvironment(environment);
  const stack = environmentStack(Testing.app(), environment);
  const json = JSON.parse(Testing.synth(stack));
  return { json, problems: problems.map((p) => p.message), containers: (json.resource?.docker_container ?? {}) as Record<string, any>, stack, environment };
}
