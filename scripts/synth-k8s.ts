/**
 * `npm run synth:k8s`: Kubernetes manifests for every `platform: kubernetes` environment, in
 * dist/kubernetes/<environment>/<environment>.yaml (environments/ and examples/*). Deterministic;
 * apply with `kubectl apply -f` or point a GitOps tool at the folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironments } from '../lib/environments';
import { ConfigError, formatProblem } from '../lib/config/errors';
import { renderKubernetes } from '../lib/kubernetes/render';

export function synthKubernetes(dirs: readonly string[], outRoot: string, warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string[] {
  const written: string[] = [];
  for (const dir of dirs) {
    for (const model of loadEnvironments(dir, undefined, warn).filter((s) => s.platform === 'kubernetes')) {
      const out = path.join(outRoot, model.environmentName);
      fs.rmSync(out, { recursive: true, force: true });
      renderKubernetes(model, model.kubernetes!, out).synth();
      written.push(path.join(out, `${model.environmentName}.yaml`));
    }
  }
  return written;
}

if (require.main === module) {
  const root = path.join(__dirname, '..', '..');
  const dirs = [path.join(root, 'environments'), ...fs.readdirSync(path.join(root, 'examples')).map((d) => path.join(root, 'examples', d)).filter((d) => fs.statSync(d).isDirectory())];
  try {
    for (const f of synthKubernetes(dirs, path.join(root, 'dist', 'kubernetes'))) process.stdout.write(`wrote ${path.relative(root, f)}\n`);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) process.stderr.write(formatProblem(p) + '\n');
    process.exitCode = 1;
  }
}
