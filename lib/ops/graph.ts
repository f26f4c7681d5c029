/**
 * `stackyard graph <env>`: the environment's topology as a picture. The model below (hosts
 * holding services, their volumes and NFS shares; proxy routes, `uses` and `after` arrows) comes
 * from the environment model alone, no host is asked. Two renderings: Mermaid text (GitHub
 * renders it in Markdown) and SVG, laid out by ELK (elkjs: the Eclipse Layout Kernel's layered
 * algorithm, compound nodes for hosts) and drawn here as plain SVG shapes and text.
 */
import type { Environment } from '../environment';
import { slug } from '../values';

export interface GraphNode {
  readonly id: string;
  readonly type: 'service' | 'volume' | 'nfs';
  /** Text lines, the first one the name. */
  readonly lines: readonly string[];
}

export interface GraphHost {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly nodes: readonly GraphNode[];
}

export type EdgeKind = 'route' | 'uses' | 'after' | 'volume' | 'nfs';

export interface GraphEdge {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly label?: string;
}

export interface Topology {
  readonly environment: string;
  readonly hosts: readonly GraphHost[];
  readonly edges: readonly GraphEdge[];
}

const svcId = (name: string) => `svc_${slug(name)}`;

/** At most `max` characters, with an ellipsis. */
export function shorten(s: string, max = 48): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The topology of an environment model: what the picture shows, in a stable order. */
export function topology(stack: Environment): Topology {
  const services = [...stack.services].sort((a, b) => a.serviceName.localeCompare(b.serviceName));
  const hostNames = [...new Set(services.map((s) => s.host))].sort();
  const edges: GraphEdge[] = [];
  const nodesOf = new Map<string, GraphNode[]>(hostNames.map((h) => [h, []]));
  for (const s of services) {
    const published = s.publishedPorts().map(({ replica, port }) => `${port.bind ?? '127.0.0.1'}:${port.publish}→${port.container}${s.replicas > 1 && s.perReplica ? ` (#${replica})` : ''}`);
    const uniquePorts = [...new Set(published)];
    const lines = [
      s.serviceName,
      `${s.kind} ×${s.replicas}`,
      ...uniquePorts.slice(0, 4).map((p) => `port ${p}`),
      ...(uniquePorts.length > 4 ? [`+${uniquePorts.length - 4} more ports`] : []),
    ];
    nodesOf.get(s.host)!.push({ id: svcId(s.serviceName), type: 'service', lines });
    for (const v of s.volumes) {
      const id = `vol_${slug(s.serviceName)}_${slug(v.name)}`;
      nodesOf.get(s.host)!.push({ id, type: 'volume', lines: [`volume ${stack.environmentName}-${s.serviceName}-${v.name}`, v.path] });
      edges.push({ id: `e_${id}`, from: svcId(s.serviceName), to: id, kind: 'volume' });
    }
    for (const d of s.dependencies) {
      const kind: EdgeKind = d.condition === 'completed' ? 'after' : 'uses';
      edges.push({ id: `e_${kind}_${slug(s.serviceName)}_${slug(d.service.serviceName)}`, from: svcId(s.serviceName), to: svcId(d.service.serviceName), kind, label: kind });
    }
    for (const m of s.nfsMounts) {
      edges.push({ id: `e_nfs_${slug(m.volume)}_${slug(s.serviceName)}`, from: `nfs_${slug(m.volume)}`, to: svcId(s.serviceName), kind: 'nfs', label: m.path });
    }
  }
  for (const [name, def] of [...stack.nfsVolumes.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const id = `nfs_${slug(name)}`;
    nodesOf.get(def.server.host)!.push({ id, type: 'nfs', lines: [`NFS share ${name}`, def.path] });
    edges.push({ id: `e_export_${slug(name)}`, from: svcId(def.server.serviceName), to: id, kind: 'nfs', label: 'exports' });
  }
  const proxy = stack.proxy;
  if (proxy) {
    for (const s of services) {
      s.routes.forEach((r, i) => {
        edges.push({ id: `e_route_${slug(s.serviceName)}_${i}`, from: svcId(proxy.service.serviceName), to: svcId(s.serviceName), kind: 'route', label: shorten(r.rule) });
      });
    }
  }
  const hosts = hostNames.map((h) => {
    // a cluster's node pools are hosts of the model too, whose `docker` says only kubernetes; a
    // service's host on Docker is one of the environment's (the model's rules refuse any other)
    const props = stack.hosts.get(h)!;
    const where = stack.platform === 'kubernetes' ? 'node pool' : `${props.docker}${props.address ? `, ${props.address}` : ''}`;
    return { id: `host_${slug(h)}`, name: h, title: `host ${h} (${shorten(where, 60)})`, nodes: nodesOf.get(h)! };
  });
  return { environment: stack.environmentName, hosts, edges: edges.sort((a, b) => a.id.localeCompare(b.id)) };
}

/**
 * Text inside a Mermaid quoted label: one line (control and line-separator characters become
 * spaces, so nothing starts a Mermaid statement or closes a Markdown fence), no quote, no HTML
 * bracket, no edge-label bar, no backtick.
 */
export function mermaidText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/`/g, '#96;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/\|/g, '#124;');
}

export function toMermaid(t: Topology): string {
  const out = ['flowchart LR'];
  for (const h of t.hosts) {
    out.push(`  subgraph ${h.id}["${mermaidText(h.title)}"]`);
    for (const n of h.nodes) {
      const text = n.lines.map(mermaidText).join('<br/>');
      out.push(`    ${n.id}${n.type === 'service' ? `["${text}"]` : `[("${text}")]`}`);
    }
    out.push('  end');
  }
  const arrow: Record<EdgeKind, string> = { route: '==>', uses: '-->', after: '-.->', volume: '---', nfs: '-.-' };
  for (const e of t.edges) {
    out.push(`  ${e.from} ${arrow[e.kind]}${e.label ? `|"${mermaidText(e.label)}"|` : ''} ${e.to}`);
  }
  return `${out.join('\n')}\n`;
}

// ---- SVG ----

const FONT_SIZE = 12;
const CHAR_WIDTH = 7.3; // DejaVu Sans Mono at 12px: 0.602 em
const LINE_HEIGHT = 16;
const PAD = 8;

function textWidth(lines: readonly string[]): number {
  return Math.ceil(Math.max(...lines.map((l) => [...l].length)) * CHAR_WIDTH + 2 * PAD);
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Laid { x?: number; y?: number; width?: number; height?: number; id: string; children?: Laid[]; edges?: LaidEdge[]; labels?: { text?: string; x?: number; y?: number; width?: number; height?: number }[] }
interface LaidEdge { id: string; sections?: { startPoint: { x: number; y: number }; endPoint: { x: number; y: number }; bendPoints?: { x: number; y: number }[] }[]; labels?: { text?: string; x?: number; y?: number; width?: number; height?: number }[] }

const n1 = (v: number | undefined) => (Math.round((v ?? 0) * 10) / 10).toString();

/** Lays the topology out with ELK and draws it. Deterministic for the same model. */
export async function toSvg(t: Topology): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ELK = require('elkjs/lib/elk.bundled.js') as new () => { layout(g: unknown): Promise<Laid> };
  const elk = new ELK();
  // ELK's own defaults stand where they are what the picture wants (the examples' committed
  // pictures would change with them): the layered algorithm, left to right, orthogonal edges,
  // labels beside their edge, random seed 1.
  const graph = {
    id: 'root',
    layoutOptions: {
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.spacing.nodeNode': '24',
      'elk.layered.spacing.nodeNodeBetweenLayers': '48',
      'elk.spacing.edgeLabel': '4',
      'elk.json.edgeCoords': 'ROOT',
      'elk.json.shapeCoords': 'ROOT',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]',
    },
    children: t.hosts.map((h) => ({
      id: h.id,
      labels: [{ text: h.title, width: textWidth([h.title]), height: LINE_HEIGHT }],
      layoutOptions: { 'elk.padding': '[top=40,left=16,bottom=16,right=16]', 'elk.nodeLabels.placement': 'INSIDE V_TOP H_LEFT', 'elk.nodeSize.constraints': 'NODE_LABELS' },
      children: h.nodes.map((n) => ({ id: n.id, width: textWidth(n.lines), height: n.lines.length * LINE_HEIGHT + 2 * PAD })),
    })),
    edges: t.edges.map((e) => ({
      id: e.id,
      sources: [e.from],
      targets: [e.to],
      ...(e.label ? { labels: [{ text: e.label, width: textWidth([e.label]) - PAD, height: LINE_HEIGHT }] } : {}),
    })),
  };
  const laid = await elk.layout(graph);
  const nodes = new Map(t.hosts.flatMap((h) => h.nodes.map((n) => [n.id, n] as const)));
  const hostById = new Map(t.hosts.map((h) => [h.id, h]));
  const kindOf = new Map(t.edges.map((e) => [e.id, e.kind]));
  const W = Math.ceil(laid.width ?? 0);
  const H = Math.ceil((laid.height ?? 0) + 28);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${FONT_SIZE}">`,
    '<defs>',
    '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker>',
    '</defs>',
    '<style>.host{fill:#f6f8fa;stroke:#8c959f;stroke-width:1.5}.service{fill:#fff;stroke:#0969da;stroke-width:1.5}.volume{fill:#fff8c5;stroke:#9a6700}.nfs{fill:#ddf4ff;stroke:#0969da;stroke-dasharray:4 2}'
      + '.e{fill:none;stroke:#444;stroke-width:1.2}.route{stroke:#1a7f37;stroke-width:2.2}.after{stroke-dasharray:6 3}.volumeedge{stroke:#9a6700;stroke-dasharray:2 2}.nfsedge{stroke:#0969da;stroke-dasharray:4 2}'
      + '.title{font-weight:bold}.label{fill:#57606a}.elabel{fill:#24292f}.env{font-size:14px;font-weight:bold}</style>',
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text class="env" x="16" y="20">environment ${escapeXml(t.environment)}</text>`,
    '<g transform="translate(0,24)">',
  ];
  for (const h of laid.children ?? []) {
    const host = hostById.get(h.id)!;
    out.push(`<rect class="host" x="${n1(h.x)}" y="${n1(h.y)}" width="${n1(h.width)}" height="${n1(h.height)}" rx="6"/>`);
    out.push(`<text class="title" x="${n1((h.x ?? 0) + 12)}" y="${n1((h.y ?? 0) + 22)}">${escapeXml(host.title)}</text>`);
    for (const c of h.children ?? []) {
      const n = nodes.get(c.id)!;
      const rx = n.type === 'service' ? 4 : 10;
      out.push(`<rect class="${n.type}" x="${n1(c.x)}" y="${n1(c.y)}" width="${n1(c.width)}" height="${n1(c.height)}" rx="${rx}"/>`);
      n.lines.forEach((line, i) => {
        out.push(`<text${i === 0 ? ' class="title"' : ' class="label"'} x="${n1((c.x ?? 0) + PAD)}" y="${n1((c.y ?? 0) + PAD + (i + 1) * LINE_HEIGHT - 4)}">${escapeXml(line)}</text>`);
      });
    }
  }
  // every edge is declared on the root, where ELK leaves it, in the topology's (sorted) order
  for (const e of laid.edges ?? []) {
    const kind = kindOf.get(e.id)!;
    const cls = kind === 'volume' ? 'e volumeedge' : kind === 'nfs' ? 'e nfsedge' : `e ${kind}`;
    for (const s of e.sections ?? []) {
      const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => `${n1(p.x)},${n1(p.y)}`).join(' ');
      out.push(`<polyline class="${cls}" points="${pts}"${kind === 'volume' ? '' : ' marker-end="url(#arrow)"'}/>`);
    }
    for (const l of e.labels ?? []) {
      out.push(`<text class="elabel" x="${n1(l.x)}" y="${n1((l.y ?? 0) + LINE_HEIGHT - 4)}">${escapeXml(l.text ?? '')}</text>`);
    }
  }
  out.push('</g>', '</svg>', '');
  return out.join('\n');
}
