/**
 * The pull-request plan comment's picture: a Mermaid flowchart (GitHub renders ```mermaid
 * blocks) of the services a plan touches and their neighbours (what routes to them, what they use
 * or run after, and the other way round), in their hosts, drawn by `stackyard graph`'s Mermaid
 * writer (lib/ops/graph.ts) from the environment's topology. Touched services are coloured by what
 * happens to them; neighbours are drawn plain. Bounded: at most `maxTouched` touched services and
 * `maxNodes` boxes, the rest counted. Node and host ids are renumbered (n1, h1...) so no name
 * reaches the diagram's syntax; every label goes through the Mermaid escaping, so neither a
 * service name nor a route can leave its label, the Mermaid block or add Markdown.
 */
import { shorten, toMermaid, type GraphEdge, type GraphHost, type GraphNode, type Topology } from '../ops/graph';
import type { Action, StackPlan } from './plan';

export const DIAGRAM_MAX_TOUCHED = 30;
export const DIAGRAM_MAX_NODES = 45;

const SEVERITY: Record<string, number> = { delete: 0, replace: 1, update: 2, create: 3 };
const STYLE: Record<string, string> = {
  create: 'fill:#dafbe1,stroke:#1a7f37',
  update: 'fill:#fff8c5,stroke:#9a6700',
  replace: 'fill:#ffebe9,stroke:#cf222e',
  delete: 'fill:#ffebe9,stroke:#cf222e,stroke-dasharray:4 2',
};
const WORD: Record<string, string> = { create: 'added', update: 'changed', replace: 'replaced', delete: 'removed' };

export interface PlanDiagram {
  /** The Mermaid text (no fence). */
  readonly mermaid: string;
  readonly touched: number;
  /** Touched services left out of the picture (over the bound). */
  readonly leftOut: number;
  readonly neighbours: number;
}

/** Services the plan touches (not networks, images or GitHub settings), each with its most severe action. */
export function touchedServices(plan: StackPlan): { service: string; host: string; action: Action }[] {
  const by = new Map<string, { service: string; host: string; action: Action }>();
  for (const c of plan.changes) {
    // containers and volumes carry a service (networks, images and GitHub settings do not); a forgotten one is not touched
    if ((c.type !== 'docker_container' && c.type !== 'docker_volume') || !(c.action in SEVERITY)) continue;
    const key = `${c.host}\u0000${c.service}`;
    const was = by.get(key);
    if (!was || SEVERITY[c.action] < SEVERITY[was.action]) by.set(key, { service: c.service, host: c.host, action: c.action });
  }
  return [...by.values()].sort((a, b) => SEVERITY[a.action] - SEVERITY[b.action] || a.service.localeCompare(b.service) || a.host.localeCompare(b.host));
}

/**
 * The picture of one plan, or undefined when it touches no service. Without a topology (the
 * environment file could not be read) the touched services are drawn in their hosts, unlinked.
 */
export function planDiagram(plan: StackPlan, topology?: Topology, maxTouched = DIAGRAM_MAX_TOUCHED, maxNodes = DIAGRAM_MAX_NODES): PlanDiagram | undefined {
  const touched = touchedServices(plan);
  if (!touched.length) return undefined;
  const drawnTouched = touched.slice(0, Math.min(maxTouched, maxNodes));
  const nodeOf = new Map<string, { node: GraphNode; host: GraphHost }>();
  for (const h of topology?.hosts ?? []) for (const n of h.nodes) if (n.type === 'service') nodeOf.set(n.lines[0], { node: n, host: h });
  // the boxes: touched services first, then their neighbours while there is room
  const picked = new Map<string, { host: string; hostTitle: string; lines: readonly string[]; action?: Action }>();
  const idOfService = new Map<string, string>();
  for (const t of drawnTouched) {
    const known = nodeOf.get(t.service);
    const id = known?.node.id ?? `missing ${t.host} ${t.service}`;
    const prev = picked.get(id);
    if (prev) continue;
    picked.set(id, {
      host: known?.host.id ?? `host ${t.host}`,
      hostTitle: known?.host.title ?? `host ${shorten(t.host)}`,
      lines: [...(known?.node.lines ?? [shorten(t.service)]), `→ ${WORD[t.action]}`],
      action: t.action,
    });
    idOfService.set(t.service, id);
  }
  const edges: GraphEdge[] = [];
  let neighbours = 0;
  if (topology) {
    // boxes are services only: an edge to a volume or an NFS share has an end no box is picked for
    const touchedIds = new Set(picked.keys());
    const near = topology.edges.filter((e) => touchedIds.has(e.from) || touchedIds.has(e.to));
    const services = new Map<string, { node: GraphNode; host: GraphHost }>([...nodeOf.values()].map((v) => [v.node.id, v]));
    for (const e of near) {
      for (const end of [e.from, e.to]) {
        const s = services.get(end);
        if (!s || picked.has(end) || picked.size >= maxNodes) continue;
        picked.set(end, { host: s.host.id, hostTitle: s.host.title, lines: s.node.lines });
        neighbours++;
      }
    }
    edges.push(...topology.edges.filter((e) => picked.has(e.from) && picked.has(e.to)));
  }
  // renumbered ids: nothing from a name reaches the syntax
  const ids = new Map([...picked.keys()].map((k, i) => [k, `n${i + 1}`]));
  const hosts = new Map<string, { id: string; name: string; title: string; nodes: GraphNode[] }>();
  const sortedPicked = [...picked.entries()].sort(([, a], [, b]) => a.host.localeCompare(b.host));
  for (const [key, p] of sortedPicked) {
    const h = hosts.get(p.host) ?? { id: `h${hosts.size + 1}`, name: p.host, title: p.hostTitle, nodes: [] };
    h.nodes.push({ id: ids.get(key)!, type: 'service', lines: p.lines });
    hosts.set(p.host, h);
  }
  const t: Topology = {
    environment: plan.name,
    hosts: [...hosts.values()],
    edges: edges.map((e) => ({ ...e, id: e.id, from: ids.get(e.from)!, to: ids.get(e.to)! })),
  };
  const classes: string[] = [];
  for (const action of Object.keys(STYLE)) {
    const members = [...picked.entries()].filter(([, p]) => p.action === action).map(([k]) => ids.get(k)!);
    if (members.length) classes.push(`  classDef ${action} ${STYLE[action]}`, `  class ${members.join(',')} ${action}`);
  }
  const mermaid = toMermaid(t) + (classes.length ? `${classes.join('\n')}\n` : '');
  return { mermaid, touched: touched.length, leftOut: touched.length - drawnTouched.length, neighbours };
}

/** The Markdown section of a comment: one titled Mermaid block per plan that touches a service. */
export function diagramSection(plans: readonly StackPlan[], topologies: ReadonlyMap<string, Topology | undefined>, title: (s: string) => string): string {
  const out: string[] = [];
  for (const p of plans) {
    const d = planDiagram(p, topologies.get(p.name));
    if (!d) continue;
    const more = d.leftOut ? `; ${d.leftOut} more not drawn` : '';
    out.push(`**${title(p.name)}: services this plan touches** (${d.touched} touched${more}${d.neighbours ? `, ${d.neighbours} neighbours for context` : ''}${topologies.get(p.name) ? '' : '; environment file not read, so no arrows'})`, '', '```mermaid', d.mermaid.trimEnd(), '```', '');
  }
  return out.join('\n');
}
