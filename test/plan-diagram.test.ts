/**
 * The plan comment's Mermaid picture (lib/plan/diagram.ts): the services a real plan touches
 * (test/fixtures/plans, written by scripts/plan-fixtures.sh) with their neighbours from the
 * environment's topology, bounded for huge plans, and escaped so nothing from a plan or an
 * environment file leaves its label or the Mermaid block.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { topology, type Topology } from '../lib/ops/graph';
import { loadModel } from '../lib/ops/model';
import { diagramSection, planDiagram, touchedServices } from '../lib/plan/diagram';
import { parsePlan, renderSummary, type ResourceChange, type StackPlan } from '../lib/plan/summary';
import { markdownForTerminal } from '../lib/plan/terminal';
import { PLAN_CUT_NOTE, shared, writeFiles } from './helpers';

const fixture = (name: string) => parsePlan('planfx', fs.readFileSync(path.join(__dirname, 'fixtures', 'plans', `${name}.json`), 'utf8'));

/** The environment scripts/plan-fixtures.sh planned (`environment 2 2 17 yes`: backend at tag 2). */
/** Made by the first test that needs it (see `shared`). */
const planfxTopology = shared(() => topology(loadModel('planfx', writeFiles({ 'planfx.yaml': [
  'name: planfx',
  'hosts:',
  '  core: { docker: "unix:///var/run/docker.sock", address: 127.0.0.1 }',
  'secrets: [DB_PASSWORD, REDIS_PASSWORD, JWT_SECRET]',
  'services:',
  '  proxy: { kind: traefik, entrypoints: { web: 18301 } }',
  '  db: { kind: postgres, version: "17", password: DB_PASSWORD }',
  '  redis: { kind: redis, password: REDIS_PASSWORD }',
  '  prestart: { kind: job, image: stackyard/demo-app, tag: "1", command: [python3, /app/app.py, prestart], uses: [db] }',
  '  backend:',
  '    kind: web',
  '    image: stackyard/demo-app',
  '    tag: "2"',
  '    port: 8000',
  '    health: /api/health',
  '    route: PathPrefix(`/api`)',
  '    uses: [db, redis]',
  '    after: [prestart]',
  '    secrets: [JWT_SECRET]',
  '  frontend: { kind: web, image: stackyard/demo-app, tag: "1", port: 8000, health: /health, replicas: 2, route: PathPrefix(`/`) }',
  '  watcher: { kind: service, image: stackyard/demo-app, tag: "1", command: [python3, /app/app.py, worker], uses: [db, redis] }',
  '',
].join('\n') }))));

const labelOf = (mermaid: string, id: string) => new RegExp(`^    ${id}\\["([^"]*)"\\]$`, 'm').exec(mermaid)?.[1];

describe('the picture of what a plan touches', () => {
  it('a new backend tag: backend replaced, with what routes to it and what it uses or runs after; unrelated services left out', () => {
    const d = planDiagram(fixture('image-tag'), planfxTopology())!;
    expect(d.touched).toBe(1);
    expect(d.leftOut).toBe(0);
    const nodes = [...d.mermaid.matchAll(/^    (n\d+)\["([^"<]*)/gm)].map((m) => m[2]).sort();
    // neighbours: the proxy routes to it; it uses db and redis and runs after prestart
    expect(nodes).toEqual(['backend', 'db', 'prestart', 'proxy', 'redis']);
    expect(d.neighbours).toBe(4);
    const backend = /^    (n\d+)\["backend<br\/>web ×2<br\/>→ replaced"\]$/m.exec(d.mermaid)!;
    expect(backend).not.toBeNull();
    // the touched box coloured by its action; the neighbours plain (no class of their own)
    expect(d.mermaid.slice(d.mermaid.indexOf('  classDef'))).toBe(`  classDef replace fill:#ffebe9,stroke:#cf222e\n  class ${backend[1]} replace\n`);
    expect(d.mermaid).toMatch(/^  subgraph h1\["host core \(unix:\/\/\/var\/run\/docker\.sock, 127\.0\.0\.1\)"\]$/m);
    expect(d.mermaid).toMatch(new RegExp(`^  n\\d+ ==>\\|"PathPrefix\\(#96;/api#96;\\)"\\| ${backend[1]}$`, 'm'));
    expect(d.mermaid.match(/ -\.->\|"after"\| /g)).toHaveLength(1);
    expect(d.mermaid.match(/ -->\|"uses"\| /g)).toHaveLength(3); // backend → db, redis; prestart → db
  });

  it('a removed service is drawn from the plan alone (it is gone from the file), marked removed', () => {
    const p = fixture('remove-service');
    expect(touchedServices(p).map((t) => `${t.service} ${t.action}`)).toEqual(['watcher delete']);
    const d = planDiagram(p, planfxTopology())!;
    expect(d.mermaid).toMatch(/\["watcher<br\/>service ×1<br\/>→ removed"\]/);
    expect(d.mermaid).toMatch(/class n\d+ delete/);
  });

  it('no service touched: no picture', () => {
    expect(planDiagram(fixture('no-change'), planfxTopology())).toBeUndefined();
  });

  it('the pull-request comment carries the picture in a mermaid block after the headlines; the terminal form drops the markup, not the text', () => {
    const p = fixture('image-tag');
    const md = renderSummary([p], undefined, { diagrams: new Map([['planfx', planfxTopology()]]) }).markdown;
    const start = md.indexOf('```mermaid\nflowchart LR\n');
    expect(start).toBeGreaterThan(md.indexOf('**planfx**: '));
    expect(start).toBeLessThan(md.indexOf('<details>'));
    expect(md).toContain('**planfx: services this plan touches** (1 touched, 4 neighbours for context)');
    expect(md.match(/^```/gm)).toHaveLength(2);
    // without the option the comment is as before
    expect(renderSummary([p]).markdown).not.toContain('mermaid');
    expect(markdownForTerminal(renderSummary([p]).markdown)).not.toContain('flowchart');
  });

  it('a plan touching 500 services draws at most 30 of them and counts the rest; the comment stays under the limit', () => {
    const changes: ResourceChange[] = Array.from({ length: 500 }, (_, i) => ({
      address: `docker_container.svc_s${i}_1`, type: 'docker_container', action: 'create', host: `h${i % 7}`, service: `s${String(i).padStart(3, '0')}`, attributes: [], dataLoss: false,
    }));
    const plan: StackPlan = { name: 'big', changes };
    const d = planDiagram(plan)!;
    expect(d.touched).toBe(500);
    expect(d.leftOut).toBe(470);
    expect(d.mermaid.match(/^    n\d+\[/gm)).toHaveLength(30);
    expect(d.mermaid.length).toBeLessThan(4000);
    const s = renderSummary([plan], undefined, { diagrams: new Map([['big', undefined]]) });
    expect(s.markdown).toContain('(500 touched; 470 more not drawn; environment file not read, so no arrows)');
    expect(s.markdown.length).toBeLessThanOrEqual(65_536);
  });

  it('left out, with a sentence, when it does not fit the comment limit', () => {
    const p = fixture('image-tag');
    const full = renderSummary([p], undefined, { diagrams: new Map([['planfx', planfxTopology()]]) }).markdown;
    const s = renderSummary([p], full.indexOf('```mermaid') + 200, { diagrams: new Map([['planfx', planfxTopology()]]) });
    expect(s.markdown).not.toContain('```mermaid');
    expect(s.markdown).toContain('The picture of the services this plan touches is left out');
  });

  it('drawn while it fits beside the headlines with the cut note and a 64-character margin; one character less, the sentence instead', () => {
    const p = fixture('image-tag');
    const diagrams = new Map([['planfx', planfxTopology()]]);
    const headOf = (md: string) => md.slice(0, md.indexOf('\n<details>'));
    const plain = headOf(renderSummary([p], 1_000_000).markdown);
    const drawn = headOf(renderSummary([p], 1_000_000, { diagrams }).markdown);
    expect(drawn.startsWith(`${plain}\n**planfx: services this plan touches**`)).toBe(true);
    const picture = drawn.length - plain.length - 1;
    const fits = plain.length + picture + PLAN_CUT_NOTE.length + 64;
    expect(renderSummary([p], fits, { diagrams }).markdown).toContain('```mermaid');
    const left = renderSummary([p], fits - 1, { diagrams }).markdown;
    expect(left).not.toContain('```mermaid');
    expect(left).toContain(`${plain}\n_The picture of the services this plan touches is left out to stay under GitHub's comment limit._\n\n`);
  });

  it('a plan without changes draws nothing and says nothing about a picture', () => {
    const md = renderSummary([{ name: 'planfx', changes: [] }], 1_000_000, { diagrams: new Map([['planfx', planfxTopology()]]) }).markdown;
    expect(md).not.toContain('mermaid');
    expect(md).not.toContain('picture');
  });

  it('touched: containers and volumes with a planned action, each service once per host with its most severe action, sorted by severity, service, host', () => {
    const c = (type: string, action: ResourceChange['action'], service: string, host = 'core'): ResourceChange => ({ address: `${type}.${service}_${host}`, type, action, host, service, attributes: [], dataLoss: false });
    const plan: StackPlan = { name: 'p', changes: [
      c('docker_network', 'replace', '(network)'),
      c('docker_image', 'delete', '(images)'),
      c('github_actions_environment_secret', 'update', 'github', 'github'),
      c('docker_container', 'forget', 'old'),
      c('docker_container', 'update', 'api'),
      c('docker_container', 'update', 'api', 'b'),
      c('docker_volume', 'delete', 'db'),
      c('docker_container', 'replace', 'db'),
      c('docker_container', 'create', 'web'),
      c('docker_container', 'update', 'db'),
      c('docker_container', 'update', 'cache'), // a more severe change of the same service after it wins
      c('docker_container', 'replace', 'cache'),
      c('docker_container', 'create', 'alpha'),
    ] };
    expect(touchedServices(plan).map((t) => `${t.service}@${t.host} ${t.action}`)).toEqual(['db@core delete', 'cache@core replace', 'api@b update', 'api@core update', 'alpha@core create', 'web@core create']);
  });

  it('bounds: touched services at most the smaller bound; neighbours only while there is room, up to exactly maxNodes boxes', () => {
    const five: StackPlan = { name: 'p', changes: ['a', 'b', 'c', 'd', 'e'].map((s) => ({ address: `docker_container.svc_${s}_1`, type: 'docker_container', action: 'create', host: 'core', service: s, attributes: [], dataLoss: false })) };
    const d = planDiagram(five, undefined, 30, 3)!;
    expect([d.touched, d.leftOut, d.mermaid.match(/^    n\d+\[/gm)?.length]).toEqual([5, 2, 3]);
    const boxes = (maxNodes: number) => planDiagram(fixture('image-tag'), planfxTopology(), 30, maxNodes)!;
    expect([boxes(3).neighbours, boxes(3).mermaid.match(/^    n\d+\[/gm)?.length]).toEqual([2, 3]);
    expect(boxes(5).neighbours).toBe(4);
  });

  it('hosts in name order (h1 the first); a service touched on two hosts but drawn once shows its most severe action; only service boxes are looked up by name', () => {
    const plan: StackPlan = { name: 'p', changes: [
      { address: 'docker_container.svc_backend_1', type: 'docker_container', action: 'update', host: 'core', service: 'backend', attributes: [], dataLoss: false },
      { address: 'docker_container.svc_backend_2', type: 'docker_container', action: 'replace', host: 'zeta', service: 'backend', attributes: [], dataLoss: false },
    ] };
    const bare = planDiagram(plan)!.mermaid;
    expect(bare.indexOf('subgraph h1["host core"]')).toBeGreaterThan(0);
    expect(bare.indexOf('subgraph h2["host zeta"]')).toBeGreaterThan(bare.indexOf('subgraph h1'));
    const topo: Topology = { environment: 'p', edges: [], hosts: [{ id: 'hz', name: 'zeta', title: 'host zeta', nodes: [{ id: 'svc', type: 'service', lines: ['backend', 'web ×2'] }, { id: 'vol', type: 'volume', lines: ['backend'] }] }] };
    const m = planDiagram(plan, topo)!.mermaid;
    expect(m.match(/^    n\d+\[/gm)).toHaveLength(1);
    expect(m).toContain('["backend<br/>web ×2<br/>→ replaced"]');
  });

  it('the comment section: a titled block per plan that touches a service; the count of neighbours, of boxes left out, and of a missing environment file in its title', () => {
    const one = (name: string, service: string): StackPlan => ({ name, changes: [{ address: `docker_container.svc_${service}_1`, type: 'docker_container', action: 'create', host: 'core', service, attributes: [], dataLoss: false }] });
    const topo: Topology = { environment: 'p', edges: [], hosts: [{ id: 'hc', name: 'core', title: 'host core', nodes: [{ id: 'svc_a', type: 'service', lines: ['a'] }] }] };
    const plans = [{ name: 'none', changes: [] }, one('p', 'a'), one('q', 'b')];
    const section = diagramSection(plans, new Map([['p', topo]]), (x) => `<${x}>`);
    const p = planDiagram(plans[1], topo)!.mermaid;
    const q = planDiagram(plans[2])!.mermaid;
    expect(section).toBe([
      '**<p>: services this plan touches** (1 touched)', '', '```mermaid', p.trimEnd(), '```', '',
      '**<q>: services this plan touches** (1 touched; environment file not read, so no arrows)', '', '```mermaid', q.trimEnd(), '```', '',
    ].join('\n'));
  });

  it('hostile names from a plan cannot leave their label, the Mermaid block, or add Markdown or HTML', () => {
    const evil = 'x"]\n```\n@alice <img src=x onerror=alert(1)> [link](http://e) %%{init: {}}%%\nclick n1 call alert()|`';
    const plan: StackPlan = { name: 'evil', changes: [
      { address: 'docker_container.svc_a_1', type: 'docker_container', action: 'replace', host: `h"]\nend\n${evil}`, service: evil, attributes: [], dataLoss: false },
    ] };
    const md = renderSummary([plan], undefined, { diagrams: new Map([['evil', undefined]]) }).markdown;
    const block = md.slice(md.indexOf('```mermaid\n') + 11, md.indexOf('\n```', md.indexOf('```mermaid\n') + 11));
    expect(md.match(/^```/gm)).toHaveLength(2); // the fence opens and closes once
    // every line of the block is Mermaid syntax stackyard wrote, with quoted, escaped labels
    for (const line of block.split('\n')) expect(line).toMatch(/^(flowchart LR|  subgraph h\d+\["[^"\n<>`]*"\]|    n\d+\["[^"\n`]*"\]|  end|  classDef \w+ [\w:#,. -]+|  class [n\d,]+ \w+)$/);
    const label = labelOf(block, 'n1')!;
    expect(label).not.toMatch(/["`\n|]/); // no raw quote, backtick, line break or edge-label bar
    expect(label).toContain('#quot;');
    expect(label.replace(/<br\/>/g, '')).not.toMatch(/[<>]/);
  });
});
