/**
 * Structural diff of two synthesized trees (cdktf.out of the base and the head of a pull
 * request), for pull requests from forks where neither secrets nor state are available. Without
 * the engine it knows only the configuration: resources added, removed or changed, and, from the
 * docker provider's schema, which container attributes force a replacement. Removing a volume or
 * a stateful container, or replacing one, is flagged as data loss.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config/errors';
import { forcesReplacement, META_ARGUMENTS } from '../docker/replacement';
import { isStatefulKind } from '../registry';
import { serviceFromAddress, type AttributeChange, type ResourceChange, type StackPlan } from './summary';

type Json = any;

function readStacks(dir: string): Map<string, Json> {
  const stacksDir = path.join(dir, 'stacks');
  if (!fs.existsSync(stacksDir)) throw new ConfigError([{ file: dir, line: 0, col: 0, path: '', message: 'has no stacks/ folder; give the cdktf.out folder of a synth' }]);
  return new Map(
    fs.readdirSync(stacksDir).sort().filter((n) => fs.existsSync(path.join(stacksDir, n, 'cdk.tf.json'))).map((n) => [n, JSON.parse(fs.readFileSync(path.join(stacksDir, n, 'cdk.tf.json'), 'utf8'))]),
  );
}

function resources(stack: Json): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const [type, byName] of Object.entries(stack?.resource ?? {})) {
    for (const [name, body] of Object.entries(byName as Json)) {
      // meta-arguments (depends_on, lifecycle, ...) are no change to the resource; `provider` names the host below
      out.set(`${type}.${name}`, Object.fromEntries(Object.entries(body as Json).filter(([k]) => k === 'provider' || !META_ARGUMENTS.has(k))));
    }
  }
  return out;
}

export function synthDiff(baseDir: string, headDir: string): StackPlan[] {
  const base = readStacks(baseDir);
  const head = readStacks(headDir);
  const names = [...new Set([...base.keys(), ...head.keys()])].sort();
  return names.map((name) => {
    const b = resources(base.get(name));
    const h = resources(head.get(name));
    const changes: ResourceChange[] = [];
    for (const address of [...new Set([...b.keys(), ...h.keys()])].sort()) {
      const before = b.get(address);
      const after = h.get(address);
      if (JSON.stringify(before) === JSON.stringify(after)) continue;
      const action = !before ? 'create' : !after ? 'delete' : 'update';
      const body = after ?? before;
      const type = address.split('.')[0];
      const labels = Object.fromEntries(((body.labels ?? []) as Json[]).map((l) => [l.label, l.value]));
      const kind = labels['stackyard.kind'];
      const attributes = action === 'update' ? diffAttributes(before, after) : [];
      const stateful = type === 'docker_volume' || (type === 'docker_container' && isStatefulKind(kind));
      // the docker provider's schema: a volume is replaced on any change, a container on any but its few in-place attributes
      const forces = (a: AttributeChange) => forcesReplacement(type, a.path);
      const replacing = attributes.some(forces);
      changes.push({
        address,
        type,
        action: action === 'update' && replacing ? 'replace' : action,
        host: labels['stackyard.host'] ?? String(body.provider ?? '-').split('.')[1] ?? '-',
        service: labels['stackyard.service'] ?? (type.startsWith('github') ? 'github' : serviceFromAddress(type, address.split('.')[1]) ?? address.split('.')[1]),
        kind,
        attributes: attributes.map((a) => ({ ...a, forcesReplacement: forces(a) })),
        dataLoss: stateful && (action === 'delete' || replacing),
      });
    }
    return { name, changes };
  });
}

function diffAttributes(a: Json, b: Json, at: string[] = []): AttributeChange[] {
  const isObj = (x: Json) => x !== null && typeof x === 'object';
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().flatMap((k) => diffAttributes(a[k], b[k], [...at, k]));
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const show = (v: Json) => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));
  return [{ path: at.join('.'), before: show(a), after: show(b), forcesReplacement: false }];
}
