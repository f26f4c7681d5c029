/** `stackyard graph <env>`: the topology picture (SVG laid out by elkjs, or Mermaid). */
import * as fs from 'node:fs';
import { Option, type Command } from 'commander';
import { environmentsDir } from '../paths';

export function register(program: Command): void {
  program
    .command('graph')
    .description('draw the environment: hosts holding their services (replicas, kind, published ports), proxy routes, uses/after arrows, volumes, NFS shares')
    .argument('<env>', 'environment name')
    .addOption(new Option('--format <format>', 'svg or mermaid').choices(['svg', 'mermaid']).default('svg'))
    .option('-o, --out <file>', 'write to this file instead of standard output')
    .action(async (env: string, o: { format: 'svg' | 'mermaid'; out?: string }) => {
      const { loadModel } = await import('../../ops/model');
      const { toMermaid, topology, toSvg } = await import('../../ops/graph');
      const t = topology(loadModel(env, environmentsDir()));
      const text = o.format === 'mermaid' ? toMermaid(t) : await toSvg(t);
      if (o.out) fs.writeFileSync(o.out, text);
      else process.stdout.write(text);
    });
}
