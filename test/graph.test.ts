/**
 * `stackyard graph`: the topology model, its Mermaid text, and the SVG pictures of the examples,
 * which must be current (the README of each example shows them) and must render in a real SVG
 * renderer (Debian's librsvg, `rsvg-convert`).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeXml, mermaidText, toMermaid, topology, toSvg } from '../lib/ops/graph';
import { loadEnvironments } from '../lib/environments';
import { loadModel } from '../lib/ops/model';
import { EXAMPLE_PICTURES, examplePicture, pictureFile } from '../scripts/graphs';
import { shared, tempDir, writeFiles } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const localModel = shared(() => loadModel('local', path.join(ROOT, 'environments')));

/** Renders SVG text to PNG with rsvg-convert; the PNG's width and height. */
function render(svg: string): { code: number | null; stderr: string; width?: number; height?: number } {
  const dir = tempDir();
  const file = path.join(dir, 'x.svg');
  fs.writeFileSync(file, svg);
  const r = spawnSync('rsvg-convert', [file, '-o', path.join(dir, 'x.png')], { encoding: 'utf8' });
  if (r.error) throw new Error(`rsvg-convert is missing (${r.error.message}): apt-get install librsvg2-bin (.ci/run installs it)`);
  if (r.status !== 0) return { code: r.status, stderr: r.stderr };
  const png = fs.readFileSync(path.join(dir, 'x.png'));
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { code: 0, stderr: '', width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('the topology model', () => {
  const topologyOf = shared(() => topology(localModel()));

  it('puts every service of a host in its box, with kind, replicas and published ports', () => {
    const t = topologyOf();
    expect(t.hosts.map((h) => h.title)).toEqual(['host local (unix:///var/run/docker.sock, 127.0.0.1)']);
    const nodes = Object.fromEntries(t.hosts[0].nodes.map((n) => [n.id, n.lines]));
    expect(nodes.svc_backend).toEqual(['backend', 'web ×2']);
    expect(nodes.svc_proxy).toEqual(['proxy', 'traefik ×1', 'port 127.0.0.1:8090→8080', 'port 0.0.0.0:8001→8001']);
    expect(nodes.svc_prestart).toEqual(['prestart', 'job ×1']);
    expect(nodes.vol_db_data).toEqual(['volume local-db-data', '/var/lib/postgresql/data']);
  });

  it('draws routes from the proxy, uses and after arrows, and volume links', () => {
    const t = topologyOf();
    const by = (kind: string) => t.edges.filter((e) => e.kind === kind).map((e) => `${e.from}>${e.to}${e.label ? ` ${e.label}` : ''}`);
    expect(by('route')).toEqual([
      'svc_proxy>svc_adminer Host(`adminer.localhost`)',
      'svc_proxy>svc_backend Host(`api.localhost`) || PathPrefix(`/api`)',
      'svc_proxy>svc_frontend Host(`localhost`) || Host(`dashboard.localhost`)',
    ]);
    expect(by('after')).toEqual(['svc_backend>svc_prestart after', 'svc_celery_worker>svc_prestart after', 'svc_orchestrator>svc_prestart after']);
    expect(by('uses')).toContain('svc_backend>svc_db uses');
    expect(by('volume')).toEqual(['svc_db>vol_db_data', 'svc_redis>vol_redis_data']);
  });

  it('shows NFS shares on their server\'s host with the services that mount them', () => {
    const homelab = topology(loadModel('homelab', path.join(ROOT, 'examples', 'trading-homelab')));
    const share = homelab.hosts.find((h) => h.name === 'core')!.nodes.find((n) => n.type === 'nfs')!;
    expect(share.lines[0]).toBe('NFS share shared');
    const nfs = homelab.edges.filter((e) => e.kind === 'nfs');
    expect(nfs.find((e) => e.label === 'exports')).toMatchObject({ from: 'svc_nfs', to: share.id });
    expect(nfs.filter((e) => e.from === share.id).length).toBeGreaterThan(1);
    expect(homelab.hosts.map((h) => h.name)).toEqual(['core', 'workers-b', 'workers-c']);
    expect(toMermaid(homelab)).toContain(`  svc_nfs -.-|"exports"| ${share.id}\n`);
  });

  it('hosts in name order; a replica\'s own port says which replica (not with one replica); past four ports, a count', () => {
    const port = (n: number, bind = '') => `p${n}: { container: ${n}, publish: ${9000 + n}${bind} }`;
    const dir = writeFiles({ 'x.yaml': [
      'name: x',
      // zeta's service sorts first: the host order is the hosts' names, not where their first service falls
      'hosts: { zeta: { docker: "unix:///var/run/docker.sock", address: 127.0.0.1 }, alpha: { docker: "ssh://root@a", address: 10.0.0.2 } }',
      'services:',
      `  a: { kind: service, host: zeta, image: x/a, tag: "1", ports: { ${[1, 2, 3, 4, 6].map((n) => port(n)).join(', ')}, ${port(5, ', bind: 0.0.0.0')} } }`,
      '  b: { kind: worker-pool, image: x/w, tag: "1", command: [w], type: t, hosts: { alpha: 2, zeta: 1 } }',
      `  c: { kind: service, host: alpha, image: x/c, tag: "1", ports: { ${[1, 2, 3, 4].map((n) => port(n)).join(', ')} } }`,
      '',
    ].join('\n') });
    const t = topology(loadModel('x', dir));
    expect(t.hosts.map((h) => [h.title, h.nodes.map((n) => n.lines)])).toEqual([
      ['host alpha (ssh://root@a, 10.0.0.2)', [
        ['b-alpha', 'worker-pool ×2', 'port 127.0.0.1:5003→5003 (#1)', 'port 127.0.0.1:5004→5004 (#2)'],
        ['c', 'service ×1', 'port 127.0.0.1:9001→1', 'port 127.0.0.1:9002→2', 'port 127.0.0.1:9003→3', 'port 127.0.0.1:9004→4'],
      ]],
      ['host zeta (unix:///var/run/docker.sock, 127.0.0.1)', [
        ['a', 'service ×1', 'port 127.0.0.1:9001→1', 'port 127.0.0.1:9002→2', 'port 127.0.0.1:9003→3', 'port 127.0.0.1:9004→4', '+2 more ports'],
        ['b-zeta', 'worker-pool ×1', 'port 127.0.0.1:5003→5003'],
      ]],
    ]);
  });

  it('writes Mermaid that GitHub renders: subgraphs per host, escaped labels', () => {
    const dir = writeFiles({ 'x.yaml': [
      'name: x',
      'hosts: { a: { docker: "unix:///var/run/docker.sock" }, b: { docker: "ssh://root@b" } }',
      'secrets: [P]',
      'services:',
      '  proxy: { kind: traefik, host: a }',
      '  db: { kind: postgres, host: a, password: P }',
      '  api: { kind: web, host: a, image: acme/api, tag: "1", port: 80, route: "Host(`x.example`) && Path(`/a|b`)", uses: [db] }',
      '  w: { kind: service, host: b, image: "acme/w", tag: "1" }',
      '',
    ].join('\n') });
    expect(toMermaid(topology(loadModel('x', dir)))).toBe([
      'flowchart LR',
      '  subgraph host_a["host a (unix:///var/run/docker.sock)"]',
      '    svc_api["api<br/>web ×2"]',
      '    svc_db["db<br/>postgres ×1"]',
      '    vol_db_data[("volume x-db-data<br/>/var/lib/postgresql/data")]',
      '    svc_proxy["proxy<br/>traefik ×1<br/>port 0.0.0.0:80→80"]',
      '  end',
      '  subgraph host_b["host b (ssh://root@b)"]',
      '    svc_w["w<br/>service ×1"]',
      '  end',
      // backticks escaped: inside a quoted label they would start a Mermaid markdown string
      '  svc_proxy ==>|"Host(#96;x.example#96;) && Path(#96;/a#124;b#96;)"| svc_api',
      '  svc_api -->|"uses"| svc_db',
      '  svc_db --- vol_db_data',
      '',
    ].join('\n'));
  });
});

describe('the SVG picture', () => {
  it('label text: every control character, C1 code and line or paragraph separator becomes a space; SVG text escapes &, <, > and " (& first)', () => {
    for (const c of ['\u0000', '\n', '\u001f', '\u007f', '\u0085', '\u009f', '\u2028', '\u2029']) expect(mermaidText(`a${c}b`), JSON.stringify(c)).toBe('a b');
    expect(mermaidText('a\u00a0b')).toBe('a\u00a0b'); // printable: kept
    expect(mermaidText('a"b<c>d|e`f')).toBe('a#quot;b#lt;c#gt;d#124;e#96;f');
    expect(escapeXml('a&b<c>"d')).toBe('a&amp;b&lt;c&gt;&quot;d');
    expect(escapeXml('&lt;')).toBe('&amp;lt;');
  });

  it('on Kubernetes (a plan comment\'s picture; `stackyard graph` is for Docker hosts) each host box is a node pool', () => {
    const [k] = loadEnvironments(writeFiles({ 'k.yaml': 'name: k\nplatform: kubernetes\nkubernetes:\n  namespace: k\n  nodePools: { general: {} }\nservices:\n  api: { kind: service, host: general, image: x/a, tag: "1" }\n' }));
    expect(topology(k).hosts.map((h) => h.title)).toEqual(['host general (node pool)']);
  });

  it('is the same for the same model, and renders', async () => {
    const a = await toSvg(topology(localModel()));
    expect(await toSvg(topology(localModel()))).toBe(a);
    expect(a.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(a).toContain('>Host(`api.localhost`) || PathPrefix(`/api`)</text>');
    const r = render(a);
    expect(r.code, r.stderr).toBe(0);
    expect(r.width).toBeGreaterThan(400);
  });

  it('a broken picture fails the renderer (what the example check relies on)', () => {
    const broken = render('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect x="0" y="0" width="10"');
    expect(broken.code).not.toBe(0);
  });

  it('every example has a picture (a new example folder cannot go without one)', () => {
    const folders = fs.readdirSync(path.join(ROOT, 'examples'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(folders.length).toBeGreaterThan(0);
    expect(Object.keys(EXAMPLE_PICTURES).sort()).toEqual(folders);
  });

  for (const example of Object.keys(EXAMPLE_PICTURES)) {
    it(`examples/${example}: the README shows topology.svg, current and rendering`, async () => {
      const readme = fs.readFileSync(path.join(ROOT, 'examples', example, 'README.md'), 'utf8');
      expect(readme).toContain('](topology.svg)');
      const committed = fs.readFileSync(pictureFile(ROOT, example), 'utf8');
      expect(committed, `examples/${example}/topology.svg is stale: run npm run graphs`).toBe(await examplePicture(ROOT, example));
      const r = render(committed);
      expect(r.code, r.stderr).toBe(0);
      expect(r.height).toBeGreaterThan(100);
    });
  }
});
