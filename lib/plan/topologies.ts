/**
 * Topologies for the plan comment's picture (lib/plan/diagram.ts), by environment name, from a
 * folder of environment files. A file that does not load gives no topology (the picture then
 * shows the touched services without arrows); the comment is never refused for it.
 */
import { loadEnvironments } from '../environments';
import { ConfigError } from '../config/errors';
import { topology, type Topology } from '../ops/graph';

export function topologiesFrom(dir: string, names: readonly string[]): Map<string, Topology | undefined> {
  const out = new Map<string, Topology | undefined>();
  for (const name of new Set(names)) {
    try {
      const stack = loadEnvironments(dir, [name]).find((s) => s.environmentName === name);
      out.set(name, stack ? topology(stack) : undefined);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      out.set(name, undefined);
    }
  }
  return out;
}
