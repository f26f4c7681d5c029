/**
 * Plan parsing and rendering in process (the CLI tests run the build; these run the source):
 * what is refused and how, where host and service come from, which attribute changes are shown,
 * how the comment is laid out and cut under GitHub's limit.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/config/errors';
import { GITHUB_COMMENT_LIMIT, headline, parsePlan, renderSummary, serviceFromAddress, type StackPlan } from '../lib/plan/summary';
import { PLAN_CUT_NOTE } from './helpers';

const plan = (resource_changes: object[], extra: object = {}) => JSON.stringify({ format_version: '1.2', resource_changes, ...extra });
const rc = (address: string, actions: string[], change: object = {}, extra: object = {}) => {
  const [type, name] = address.split('.');
  return { address, mode: 'managed', type, name, change: { actions, before: {}, after: {}, after_unknown: {}, before_sensitive: {}, after_sensitive: {}, ...change }, ...extra };
};
const problems = (text: string, file?: string) => {
  try {
    parsePlan('s', text, file);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};
const attrs = (change: object, actions = ['update']) => parsePlan('s', plan([rc('docker_container.svc_api_1', actions, change)])).changes[0].attributes.map((a) => [a.path, a.before, a.after, a.forcesReplacement]);

describe('what parsePlan refuses', () => {
  const problem = (message: string, file = 'plan.json') => [{ file, line: 0, col: 0, path: '', message }];
  const notAPlan = 'is not a plan in JSON form (no format_version / resource_changes); give the output of `tofu show -json <planfile>`';

  it('text that is not JSON, naming the file', () => {
    expect(problems('Plan: 1 to add', 'plan.json')).toEqual(problem('is not JSON; give the output of `tofu show -json <planfile>`'));
    expect(problems('{', undefined)).toEqual(problem('is not JSON; give the output of `tofu show -json <planfile>`', 's'));
  });

  it('JSON that is not a plan: a list, null, a string, a state file, a plan without changes or values', () => {
    for (const text of ['[]', 'null', '"x"', '{"version":4,"resources":[]}', '{"format_version":"1.2"}', '{"resource_changes":[]}']) {
      expect(problems(text, 'plan.json'), text).toEqual(problem(notAPlan));
    }
  });

  it('a plan with planned_values but no resource_changes is read (as no change)', () => {
    expect(parsePlan('s', '{"format_version":"1.0","planned_values":{}}').changes).toEqual([]);
  });

  it('another major format version', () => {
    expect(problems('{"format_version":"2.0","resource_changes":[]}', 'plan.json')).toEqual(problem('has plan format_version 2.0; stackyard reads format 1.x (OpenTofu 1.x, Terraform ≥ 0.12)'));
    expect(problems('{"format_version":"11.0","resource_changes":[]}', 'plan.json')[0].message).toContain('format_version 11.0');
    expect(problems('{"format_version":"1.99","resource_changes":[]}')).toEqual([]);
  });

  it('resource_changes that is not a list', () => {
    expect(problems('{"format_version":"1.2","resource_changes":{"0":{}}}', 'plan.json')).toEqual(problem('has resource_changes that is not a list; give the output of `tofu show -json <planfile>`'));
  });

  it('an entry that is not a resource change as tofu writes it: each field of the wrong type, no action, an action tofu does not have, replace_paths that are not paths', () => {
    const good = rc('docker_container.svc_api_1', ['update']);
    const bad: [string, unknown][] = [
      ['null', null], ['a number', 5], ['a string', 'docker_container.svc_api_1'],
      ['address', { ...good, address: 5 }], ['type', { ...good, type: ['docker_container'] }], ['name', { ...good, name: null }],
      ['change null', { ...good, change: null }], ['change a string', { ...good, change: 'update' }],
      ['actions a string', { ...good, change: { ...good.change, actions: 'update' } }],
      ['no action', { ...good, change: { ...good.change, actions: [] } }],
      ['a number action', { ...good, change: { ...good.change, actions: [5] } }],
      ['an unknown action', { ...good, change: { ...good.change, actions: ['destroy'] } }],
      ['an unknown action beside a known one', { ...good, change: { ...good.change, actions: ['update', 'destroy'] } }],
      ['replace_paths a string', { ...good, change: { ...good.change, replace_paths: 'image' } }],
      ['a replace path that is not a list', { ...good, change: { ...good.change, replace_paths: [['image'], 'env'] } }],
    ];
    for (const [what, entry] of bad) {
      expect(problems(plan([good, entry as object]), 'plan.json'), what).toEqual(problem('has resource_changes[1] that is not a resource change as tofu writes it (needs address, type, name and change.actions); give the unmodified output of `tofu show -json <planfile>`'));
    }
    // every action tofu writes, and replace paths as lists, are read
    const ok = parsePlan('s', plan([...['no-op', 'create', 'read', 'update', 'delete', 'forget'].map((a, i) => rc(`docker_container.svc_a${i}_1`, [a])), rc('docker_container.svc_r_1', ['delete', 'create'], { replace_paths: [['image'], ['env', 0]] })]));
    expect(ok.changes.map((c) => c.action)).toEqual(['create', 'update', 'delete', 'forget', 'replace']);
  });

  it('a configuration whose entries are odd is read around them: the host comes from what is well formed', () => {
    const configuration = { provider_config: null, root_module: { resources: [null, { address: 5 }, { address: 'docker_container.svc_a_1', provider_config_key: 7 }, { address: 'docker_container.svc_b_1', provider_config_key: 'docker.edge' }] } };
    const p = parsePlan('s', plan([rc('docker_container.svc_a_1', ['update'], { after: { x: 1 } }), rc('docker_container.svc_b_1', ['update'], { after: { x: 1 } })], { configuration }));
    expect(p.changes.map((c) => [c.service, c.host])).toEqual([['a', '-'], ['b', 'edge']]);
  });

  it('an entry too deeply nested to walk is refused as unreadable, naming it, not a crash', () => {
    const deep = `${'['.repeat(20_000)}"x"${']'.repeat(20_000)}`;
    const address = `docker_container.svc_${'x'.repeat(150)}_1`;
    const text = plan([rc(address, ['update'], { before: { a: 'DEEP' }, after: { a: [[1]] } })]).replace('"DEEP"', deep);
    const [p] = problems(text, 'plan.json');
    // the address cut at 100 characters
    expect(p.message).toBe(`has resource_changes[0] (${address.slice(0, 100)}) that cannot be read: Maximum call stack size exceeded`);
  });

  it('an empty list of plans', () => {
    try {
      renderSummary([]);
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).problems).toEqual([{ file: '(arguments)', line: 0, col: 0, path: '', message: 'no plans given; pass one or more `tofu show -json` files: npm run plan:summary -- staging=plan.json' }]);
    }
  });
});

describe('which resource changes are kept, and as what', () => {
  it('data sources, no-ops and reads are left out; actions map to create, update, replace, delete', () => {
    const p = parsePlan('s', plan([
      rc('docker_container.svc_a_1', ['no-op']),
      rc('docker_container.svc_b_1', ['read']),
      { ...rc('docker_network.x', ['create']), mode: 'data' },
      rc('docker_container.svc_c_1', ['create']),
      rc('docker_container.svc_d_1', ['update']),
      rc('docker_container.svc_e_1', ['delete', 'create']),
      rc('docker_container.svc_f_1', ['create', 'delete']),
      rc('docker_container.svc_g_1', ['delete']),
      rc('docker_container.svc_h_1', ['read', 'update']),
    ]));
    expect(p.changes.map((c) => [c.service, c.action])).toEqual([['c', 'create'], ['d', 'update'], ['e', 'replace'], ['f', 'replace'], ['g', 'delete'], ['h', 'update']]);
  });

  it('host and service from stackyard labels first, well-formed labels only', () => {
    const labels = [{ label: 'stackyard.host', value: 'edge' }, { label: 'stackyard.service', value: 'api' }, { label: 'stackyard.kind', value: 'web' }, null, { label: 7, value: 'x' }, { label: 'stackyard.replica', value: 2 }];
    const [c] = parsePlan('s', plan([rc('docker_container.svc_other_1', ['update'], { before: { labels }, after: { labels } })], { configuration: { root_module: { resources: [{ address: 'docker_container.svc_other_1', provider_config_key: 'docker.core' }] } } })).changes;
    expect([c.host, c.service, c.kind]).toEqual(['edge', 'api', 'web']);
  });

  it('labels of the old value when the resource is deleted', () => {
    const [c] = parsePlan('s', plan([rc('docker_container.svc_x_1', ['delete'], { before: { labels: [{ label: 'stackyard.service', value: 'worker' }, { label: 'stackyard.kind', value: 'redis' }] }, after: null })])).changes;
    expect([c.service, c.kind, c.dataLoss]).toEqual(['worker', 'redis', true]);
  });

  it('without labels: the host from the provider alias in the configuration, the service from the address', () => {
    const configuration = { provider_config: { docker: {}, 'docker.core': { alias: 'core' } }, root_module: { resources: [{ address: 'docker_container.svc_my_api_2', provider_config_key: 'docker.core' }, { address: 'docker_volume.volume_db_data' }] } };
    const p = parsePlan('s', plan([rc('docker_container.svc_my_api_2', ['update']), rc('docker_volume.volume_db_data', ['update'])], { configuration }));
    expect(p.changes.map((c) => [c.host, c.service])).toEqual([['core', 'my-api'], ['-', 'db']]);
  });

  it('a configuration without resources or without a root module still reads', () => {
    for (const configuration of [{ provider_config: { 'docker.core': {} } }, { root_module: {} }, { root_module: { resources: [{ address: 'docker_container.svc_api_1' }] } }]) {
      expect(parsePlan('s', plan([rc('docker_container.svc_api_1', ['update'], { before: { a: 1 }, after: { a: 2 } })], { configuration })).changes.map((c) => [c.host, c.service])).toEqual([['-', 'api']]);
    }
  });

  it('resources already gone from the configuration: the host from the alias in their logical id', () => {
    const configuration = { provider_config: { 'docker.core': {}, 'docker.edge': {} }, root_module: { resources: [] } };
    const p = parsePlan('s', plan([
      rc('docker_image.image_edge_traefik_v3', ['delete']),
      rc('docker_network.network_core_private', ['delete']),
      rc('docker_network.other_core_x', ['delete']),
      rc('docker_container.x_image_core_y', ['delete']),
    ], { configuration }));
    expect(p.changes.map((c) => [c.host, c.service])).toEqual([['edge', '(images)'], ['core', '(network)'], ['-', '(network)'], ['-', 'x_image_core_y']]);
  });

  it('GitHub resources are grouped under github; other resources fall back to their name', () => {
    const p = parsePlan('s', plan([
      rc('github_actions_environment_secret.s', ['create'], { after: { name: 'ignored' } }),
      rc('null_resource.n', ['create'], { after: { name: 'named' } }),
      rc('null_resource.m', ['create'], { after: {} }),
      rc('null_resource.o', ['delete'], { before: { name: 'gone' }, after: null }),
      rc('null_resource.p', ['create'], { after: { name: '' } }),
      rc('null_resource.q', ['create'], { after: { name: 5 } }),
    ]));
    expect(p.changes.map((c) => [c.host, c.service])).toEqual([['github', 'github'], ['-', 'named'], ['-', 'm'], ['-', 'gone'], ['-', 'p'], ['-', 'q']]);
  });

  it('an image, network or volume is named by its name on the host, when it has one', () => {
    const p = parsePlan('s', plan([
      rc('docker_image.image_main_a', ['create'], { after: { name: 'postgres:17' } }),
      rc('docker_volume.volume_db_data', ['create'], { after: { name: '' } }),
      rc('docker_network.network_main_private', ['create'], { after: { name: 7 } }),
      rc('docker_container.svc_api_1', ['create'], { after: { name: 'unit-api-1' } }),
    ]));
    expect(p.changes.map((c) => c.name)).toEqual(['postgres:17', undefined, undefined, undefined]);
  });

  it('only containers and volumes carry data: a stateful label on anything else is no data loss', () => {
    const labels = [{ label: 'stackyard.kind', value: 'postgres' }];
    const p = parsePlan('s', plan([rc('docker_network.network_main_private', ['delete'], { before: { labels }, after: null }), rc('docker_container.svc_db_1', ['delete'], { before: { labels }, after: null })]));
    expect(p.changes.map((c) => c.dataLoss)).toEqual([false, true]);
  });

  it('serviceFromAddress reads stackyard logical ids', () => {
    expect(serviceFromAddress('docker_container', 'svc_celery_worker_12')).toBe('celery-worker');
    expect(serviceFromAddress('docker_container', 'svc_api')).toBeUndefined();
    expect(serviceFromAddress('docker_container', 'x_svc_api_1')).toBeUndefined();
    expect(serviceFromAddress('docker_container', 'svc_api_1x')).toBeUndefined();
    expect(serviceFromAddress('docker_volume', 'volume_my_db_data')).toBe('my-db');
    expect(serviceFromAddress('docker_volume', 'volume_db_data')).toBe('db');
    expect(serviceFromAddress('docker_volume', 'volume_db_Data')).toBeUndefined();
    expect(serviceFromAddress('docker_volume', 'xvolume_db_data')).toBeUndefined();
    expect(serviceFromAddress('docker_volume', 'volume_db_data!')).toBeUndefined();
    expect(serviceFromAddress('docker_volume', 'svc_api_1')).toBeUndefined();
    expect(serviceFromAddress('docker_container', 'volume_db_data')).toBeUndefined();
    expect(serviceFromAddress('docker_network', 'network_proxy')).toBe('(network)');
    expect(serviceFromAddress('docker_image', 'image_main_x')).toBe('(images)');
    expect(serviceFromAddress('github_repository', 'svc_a_1')).toBeUndefined();
    expect(serviceFromAddress('docker_network', 'volume_db_data')).toBe('(network)');
    expect(serviceFromAddress('docker_image', 'svc_api_1')).toBe('(images)');
  });
});

describe('which attribute changes are shown', () => {
  it('changed leaves with their paths, sorted, unchanged ones left out', () => {
    expect(attrs({ before: { b: 1, a: [1, 2], c: 'same', n: { x: 'o' } }, after: { b: 2, a: [1, 3], c: 'same', n: { x: 'p' } } })).toEqual([
      ['a.1', '2', '3', false], ['b', '1', '2', false], ['n.x', 'o', 'p', false],
    ]);
  });

  it('a list replaced by an object (or the reverse) is one change, not a walk', () => {
    expect(attrs({ before: { v: [1] }, after: { v: { 0: 1 } } })).toEqual([['v', '[1]', '{"0":1}', false]]);
  });

  it('attributes that force the replacement are marked, and kept even when unknown', () => {
    expect(attrs({ before: { image: 'a', id: 'x', hostname: 'h' }, after: { hostname: 'h' }, after_unknown: { image: true, id: true }, replace_paths: [['image']] }, ['delete', 'create'])).toEqual([['image', 'a', '(known after apply)', true]]);
  });

  it('a new attribute only known after apply is left out unless it forces the replacement', () => {
    expect(attrs({ before: {}, after: {}, after_unknown: { ip: true, sub: { deep: true } } })).toEqual([]);
    expect(attrs({ before: {}, after: {}, after_unknown: { ip: true }, replace_paths: [['ip']] })).toEqual([['ip', '(none)', '(known after apply)', true]]);
  });

  it('an optional attribute going from an empty default to unset is not a change; from a value it is', () => {
    expect(attrs({ before: { a: '', b: [], c: {}, d: 0, e: false, f: null, g: 'x', h: 5, i: true }, after: { a: null, b: null, c: null, d: null, e: null, f: undefined, g: null, h: null, i: null } })).toEqual([
      ['g', 'x', '(none)', false], ['h', '5', '(none)', false], ['i', 'true', '(none)', false],
    ]);
  });

  it('a created resource lists what it sets, not what it leaves unset', () => {
    const p = parsePlan('s', plan([rc('docker_container.svc_api_1', ['create'], { before: null, after: { image: 'a', opt: null } })]));
    expect(p.changes[0].attributes.map((a) => a.path)).toEqual(['']);
    expect(p.changes[0].attributes[0].after).toBe('{"image":"a","opt":null}');
  });

  it('nested paths are dotted, in every kind of change, and nested forcing paths are recognised', () => {
    expect(attrs({
      before: { hc: [{ test: 'a' }], up: [{ content: 'x' }], net: [{}] },
      after: { hc: [{ test: 'b' }], up: [{ content: 'y' }], net: [{}] },
      before_sensitive: { up: [{ content: true }] },
      after_sensitive: { up: [{ content: true }] },
      after_unknown: { net: [{ ip: true }] },
      replace_paths: [['hc', 0, 'test'], ['up', 0, 'content'], ['net', 0, 'ip']],
    }, ['delete', 'create'])).toEqual([
      ['hc.0.test', 'a', 'b', true],
      ['net.0.ip', '(none)', '(known after apply)', true],
      ['up.0.content', '(sensitive)', '(sensitive)', true],
    ]);
  });

  it('a sensitive attribute that is absent (not null) on one side shows (none) there', () => {
    expect(attrs({ before: {}, after: { token: 'v' }, after_sensitive: { token: true } })).toEqual([['token', '(none)', '(sensitive)', false]]);
    expect(attrs({ before: { token: 'v' }, after: {}, before_sensitive: { token: true } })).toEqual([['token', '(sensitive)', '(none)', false]]);
  });

  it('the text "null" counts as empty: dropping it, or unsetting to it, is not shown', () => {
    expect(attrs({ before: { a: 'null', b: '', c: 'x' }, after: { a: null, b: 'null', c: 'null' } })).toEqual([['c', 'x', 'null', false]]);
  });

  it('a create shows the new object only, whatever the plan says was before; a create with nothing after shows nothing', () => {
    const create = (change: object) => parsePlan('s', plan([rc('docker_container.svc_api_1', ['create'], change)])).changes[0].attributes.map((a) => [a.path, a.before, a.after]);
    expect(create({ before: { image: 'old' }, after: { image: 'a' } })).toEqual([['', '(none)', '{"image":"a"}']]);
    expect(create({ before: null, after: null })).toEqual([]);
    expect(create({ before: null, after: 'null' })).toEqual([]);
  });

  it('long values are cut at 120 characters with an ellipsis', () => {
    const long = 'x'.repeat(200);
    const [[, before, after]] = attrs({ before: { cmd: long }, after: { cmd: 'y'.repeat(120) } });
    expect(before).toBe(`${'x'.repeat(117)}...`);
    expect(after).toBe('y'.repeat(120));
  });
});

describe('the comment', () => {
  const stack = (name: string, changes: Partial<StackPlan['changes'][number]>[]): StackPlan => ({
    name,
    changes: changes.map((c) => ({ address: 'docker_container.x', type: 'docker_container', action: 'update', host: 'main', service: 'api', attributes: [], dataLoss: false, ...c })),
  });

  it('headline counts each action', () => {
    expect(headline(stack('s', []))).toBe('**s**: no changes');
    expect(headline(stack('s', [{ action: 'create' }, { action: 'create' }, { action: 'update' }, { action: 'replace' }, { action: 'delete' }, { action: 'delete' }, { action: 'delete' }]))).toBe('**s**: 2 to add, 1 to change, 1 to replace, 3 to destroy');
  });

  it('lays out marker, title, headlines and details grouped by host / service, sorted', () => {
    const s = renderSummary([stack('staging', [
      { address: 'docker_container.b', host: 'main', service: 'web', action: 'update', attributes: [{ path: 'env', before: 'A=1', after: 'A=`2`', forcesReplacement: false }] },
      { address: 'docker_container.a', host: 'main', service: 'web', action: 'create' },
      { address: 'docker_container.c', host: 'edge', service: 'proxy', action: 'delete' },
    ]), stack('quiet', [])]);
    expect(s).toMatchObject({ dataLoss: false, truncated: false });
    expect(s.markdown).toBe([
      '<!-- stackyard-plan -->',
      '## stackyard plan',
      '',
      '**Replaced or destroyed:**',
      '- staging: delete `docker_container.c` (proxy on edge)',
      '',
      '- **staging**: 1 to add, 1 to change, 0 to replace, 1 to destroy',
      '- **quiet**: no changes',
      '',
      '<details><summary>staging: details</summary>',
      '',
      '#### edge / proxy',
      '',
      '- `-` delete `docker_container.c`',
      '',
      '#### main / web',
      '',
      '- `+` create `docker_container.a`',
      '- `~` update `docker_container.b`',
      "  - `env`: `A=1` → `A='2'`",
      '',
      '</details>',
      '',
    ].join('\n'));
  });

  it('lays out the data-loss warning before everything else, and never details a create', () => {
    const s = renderSummary([stack('prod', [
      { address: 'docker_volume.volume_db_data', type: 'docker_volume', service: 'db', action: 'delete', dataLoss: true },
      { address: 'docker_container.n', action: 'create', attributes: [{ path: 'image', before: '(none)', after: 'x', forcesReplacement: false }] },
    ])]);
    expect(s.dataLoss).toBe(true);
    expect(s.markdown).toBe([
      '<!-- stackyard-plan -->',
      '## stackyard plan',
      '',
      '> [!CAUTION]',
      '> **Data loss:** this change replaces or destroys stateful data. Merge only if that is intended (label `allow-data-loss`).',
      '> - prod: delete of docker\\_volume `db` on main (`docker_volume.volume_db_data`)',
      '',
      '- **prod**: 1 to add, 0 to change, 0 to replace, 1 to destroy',
      '',
      '<details><summary>prod: details</summary>',
      '',
      '#### main / api',
      '',
      '- `+` create `docker_container.n`',
      '',
      '#### main / db',
      '',
      '- `-` delete `docker_volume.volume_db_data` **(data loss)**',
      '',
      '</details>',
      '',
    ].join('\n'));
  });

  it('names every attribute forcing a replacement', () => {
    const s = renderSummary([stack('s', [{ action: 'replace', address: 'docker_container.r', attributes: [
      { path: 'image', before: 'a', after: 'b', forcesReplacement: true },
      { path: 'env', before: 'a', after: 'b', forcesReplacement: false },
      { path: 'upload', before: '(sensitive)', after: '(sensitive)', forcesReplacement: true },
    ] }])]);
    expect(s.markdown).toContain('- s: replace `docker_container.r` (api on main), forced by `image`, `upload`\n');
    expect(s.markdown).toContain('  - `image`: `a` → `b` _(forces replacement)_\n  - `env`: `a` → `b`\n  - `upload`: _(sensitive)_ → _(sensitive)_ _(forces replacement)_\n');
  });

  it('a destroyed image names itself and what forces it; a plan\'s note follows its headline; notes go under the headlines', () => {
    const p: StackPlan = { ...stack('s', [
      { action: 'replace', address: 'docker_image.image_main_pg', type: 'docker_image', name: 'postgres:17', service: '(images)', attributes: [{ path: 'name', before: 'postgres:16', after: 'postgres:17', forcesReplacement: true }, { path: 'platform', before: 'a', after: 'b', forcesReplacement: true }] },
      { action: 'delete', address: 'docker_network.network_main_private', type: 'docker_network', name: 'unit-private', service: '(network)' },
    ]), note: 'planned by @someone <b>' };
    const md = renderSummary([p], undefined, { notes: ['first _note_', 'second'] }).markdown;
    expect(md).toContain([
      '**Replaced or destroyed:**',
      '- s: replace image `postgres:17` on main (`docker_image.image_main_pg`), forced by `name`, `platform`',
      '- s: delete network `unit-private` on main (`docker_network.network_main_private`)',
      '',
      '- **s**: 0 to add, 0 to change, 1 to replace, 1 to destroy (planned by @\u200bsomeone &lt;b&gt;)',
      '',
      '> first \\_note\\_',
      '',
      '> second',
      '',
      '<details>',
    ].join('\n'));
  });

  describe('the lists at the top hold what fits', () => {
    // the margin kept beside the cut note (lib/plan/summary.ts renderSummary)
    const MARGIN = 64;
    const long = (i: number) => `docker_container.svc_${'long_service_name_'.repeat(4)}${i}_1`;
    const plans = [stack('prod', [
      { address: 'docker_volume.volume_db_data', type: 'docker_volume', service: 'db', action: 'delete', dataLoss: true },
      { address: 'docker_volume.volume_cache_data', type: 'docker_volume', service: 'cache', action: 'delete', dataLoss: true },
      ...[1, 2, 3].map((i) => ({ address: long(i), action: 'replace' as const, service: `s${i}` })),
    ])];
    const full = renderSummary(plans, 1_000_000).markdown;
    const headText = full.slice(0, full.indexOf('\n<details>'));
    const lossItems = headText.split('\n').filter((l) => l.startsWith('> - '));
    const destroyItems = headText.split('\n').filter((l) => l.startsWith('- prod: replace'));
    const size = (items: string[]) => items.reduce((n, l) => n + l.length + 1, 0);
    // the head without its two lists; the lists share the limit less that, the note and the margin
    const fixed = headText.length - size(lossItems) - size(destroyItems);
    const at = (limit: number) => {
      const r = renderSummary(plans, limit);
      const lines = r.markdown.split('\n');
      return { loss: lines.filter((l) => l.startsWith('> - prod')).length, destroyed: lines.filter((l) => l.startsWith('- prod: replace')).length, more: lines.filter((l) => l.includes('more (cut to stay under')), truncated: r.truncated, length: r.markdown.length };
    };

    it('everything, when everything fits with the note and the margin; one character less, the last item gives way to a count', () => {
      expect([lossItems.length, destroyItems.length]).toEqual([2, 3]);
      expect(destroyItems[2].length).toBeGreaterThan(80);
      const all = fixed + PLAN_CUT_NOTE.length + MARGIN + size(lossItems) + size(destroyItems);
      expect(at(all)).toMatchObject({ loss: 2, destroyed: 3, more: [] });
      expect(at(all - 1)).toMatchObject({ loss: 2, destroyed: 2, more: ['- … and 1 more (cut to stay under GitHub\'s comment limit)'], truncated: true });
    });

    it('the data-loss list comes first; an item is shown while 80 characters stay free for the count after it', () => {
      const lossOnly = fixed + PLAN_CUT_NOTE.length + MARGIN + size(lossItems);
      expect(at(lossOnly)).toMatchObject({ loss: 2, destroyed: 0, more: ['- … and 3 more (cut to stay under GitHub\'s comment limit)'] });
      expect(at(lossOnly - 1)).toMatchObject({ loss: 1, destroyed: 0, more: ['> - … and 1 more (cut to stay under GitHub\'s comment limit)', '- … and 3 more (cut to stay under GitHub\'s comment limit)'] });
      const oneMore = lossOnly + destroyItems[0].length + 1 + 80;
      expect(at(oneMore)).toMatchObject({ loss: 2, destroyed: 1, more: ['- … and 2 more (cut to stay under GitHub\'s comment limit)'] });
      expect(at(oneMore - 1)).toMatchObject({ loss: 2, destroyed: 0 });
    });

    it('with one list only, it has the room the other would have taken', () => {
      for (const only of [plans[0].changes.filter((c) => c.dataLoss), plans[0].changes.filter((c) => !c.dataLoss)]) {
        const one = [{ name: 'prod', changes: only }];
        const whole = renderSummary(one, 1_000_000).markdown;
        const head = whole.slice(0, whole.indexOf('\n<details>'));
        const n = only.length;
        const items = (limit: number) => renderSummary(one, limit).markdown.split('\n').filter((l) => l.startsWith('> - prod') || l.startsWith('- prod: replace')).length;
        expect(items(head.length + PLAN_CUT_NOTE.length + MARGIN)).toBe(n);
        expect(items(head.length + PLAN_CUT_NOTE.length + MARGIN - 1)).toBe(n - 1);
      }
    });

    it('a comment whose list at the top is cut says it was cut, even when its details fit whole', () => {
      // the plan's name is in every item at the top, and only once in the details
      const named = [stack('n'.repeat(200), [1, 2, 3].map((i) => ({ address: `docker_container.a${i}`, action: 'replace' as const })))];
      const whole = renderSummary(named, 1_000_000).markdown;
      const items = whole.split('\n').filter((l) => l.startsWith(`- ${'n'.repeat(200)}: replace`));
      const head = whole.slice(0, whole.indexOf('\n<details>'));
      const limit = head.length + PLAN_CUT_NOTE.length + MARGIN - 1; // one character short of all three items
      const r = renderSummary(named, limit);
      expect(r.markdown.split('\n').filter((l) => l.startsWith(`- ${'n'.repeat(200)}: replace`))).toHaveLength(2);
      expect(r.markdown).toContain(whole.slice(whole.indexOf('\n<details>')));
      expect(r.truncated).toBe(true);
    });

    it('at any limit: never longer, every <details> closed, the headline kept while it fits', () => {
      for (let limit = 40; limit <= full.length + 10; limit += 37) {
        const r = renderSummary(plans, limit).markdown;
        expect(r.length, String(limit)).toBeLessThanOrEqual(limit);
        expect((r.match(/<details>/g) ?? []).length, String(limit)).toBe((r.match(/<\/details>/g) ?? []).length);
        if (limit >= fixed + PLAN_CUT_NOTE.length) expect(r, String(limit)).toContain('- **prod**: 0 to add, 0 to change, 3 to replace, 2 to destroy');
      }
      // with the lists whole and no room for a line of details, the note alone follows the head (no </details> without its <details>)
      const bare = renderSummary(plans, fixed + PLAN_CUT_NOTE.length + MARGIN + size(lossItems) + size(destroyItems)).markdown;
      expect(bare).toBe(`${headText}\n${PLAN_CUT_NOTE}`);
    });
  });

  it('a comment that fits is not cut; one that does not is cut, within the limit, with open details closed', () => {
    const changes = Array.from({ length: 40 }, (_, i) => ({ address: `docker_container.svc_${String(i).padStart(2, '0')}`, attributes: [{ path: 'env', before: 'a'.repeat(50), after: 'b'.repeat(50), forcesReplacement: false }] }));
    const full = renderSummary([stack('s', changes)]);
    expect(full.truncated).toBe(false);
    expect(full.markdown.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    const exact = renderSummary([stack('s', changes)], full.markdown.length);
    expect(exact).toEqual(full);
    const cut = renderSummary([stack('s', changes)], full.markdown.length - 2);
    expect(cut.truncated).toBe(true);
    expect(cut.markdown.length).toBeLessThanOrEqual(full.markdown.length - 2);
    expect(cut.markdown).toMatch(/\n\n<\/details>\n_Details cut to stay under GitHub's comment limit: the summary above is complete; run `npm run plan:summary` locally or read the workflow log for everything._\n$/);
    expect(cut.markdown.match(/<details>/g)).toHaveLength(1);
    expect(cut.markdown.match(/<\/details>/g)).toHaveLength(1);
    // cut at a line end: what is kept of the details is a whole-line prefix of the full comment
    const kept = cut.markdown.slice(0, cut.markdown.indexOf('\n\n</details>\n_Details'));
    expect(full.markdown.startsWith(kept + '\n')).toBe(true);
    expect(kept.length).toBeGreaterThan(full.markdown.length - 400);
  });
});
