/** Builds an EnvironmentStack from code (no YAML), renders it for Docker, returns parsed JSON. */
import { Testing } from 'cdktf';
import { renderDocker } from '../../lib/docker/render';
import { EnvironmentStack } from '../../lib/environment-stack';
import { checkEnvironment } from '../../lib/invariants';

export function dockerStack(build: (stack: EnvironmentStack) => void, opts: { production?: boolean; secrets?: string[]; hosts?: string[] } = {}) {
  const app = Testing.app();
  const stack = new EnvironmentStack(app, {
    name: 'unit',
    hosts: (opts.hosts ?? ['main']).map((name, i) => ({ name, docker: `ssh://deploy@${name}.example.com:22`, address: `10.0.0.${i + 1}`, sshOptions: [] })),
    secrets: opts.secrets ?? ['DB_PASSWORD', 'REDIS_PASSWORD', 'JWT_SECRET'],
    production: opts.production,
  });
  build(stack);
  const problems = checkEnvironment(stack);
  stack.render(renderDocker);
  const json = JSON.parse(Testing.synth(stack));
  return { json, problems: problems.map((p) => p.message), containers: (json.resource?.docker_container ?? {}) as Record<string, any>, stack };
}
