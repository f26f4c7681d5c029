/**
 * Inputs and exposure (issue 11): user text never becomes a Terraform expression, published ports
 * stay on the host unless `bind:` says otherwise, NFS exports are limited, names that reach a
 * shell are quoted, and hostile files end in a positioned error within seconds.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Postgres } from '../constructs/postgres';
import { PostgresBackup } from '../constructs/postgres-backup';
import { TraefikProxy } from '../constructs/traefik-proxy';
import { WebService } from '../constructs/web-service';
import { terraformLiteral } from '../lib/values';
import { dockerStack } from './constructs/harness';
import { MINIMAL, synth, tempDir, writeFiles } from './helpers';

/**
 * Reads a string the way Terraform reads a JSON string: `$${` and `%%{` are literal, `${ … }`
 * is an expression (a constant string one is folded in), `%{ … }` a directive.
 */
function terraformText(s: string): { text: string; expressions: string[] } {
  let text = '';
  const expressions: string[] = [];
  for (let i = 0; i < s.length; ) {
    if (s.startsWith('$${', i)) { text += '${'; i += 3; continue; }
    if (s.startsWith('%%{', i)) { text += '%{'; i += 3; continue; }
    if (s.startsWith('${', i) || s.startsWith('%{', i)) {
      // find the matching brace (expressions here hold no nested braces except in constant strings)
      let depth = 1;
      let j = i + 2;
      let inString = false;
      for (; j < s.length && depth > 0; j++) {
        if (s[j] === '"' && s[j - 1] !== '\\') inString = !inString;
        else if (!inString && s[j] === '{') depth++;
        else if (!inString && s[j] === '}') depth--;
      }
      const body = s.slice(i + 2, j - 1).trim();
      const constant = /^"((?:[^"\\]|\\.)*)"$/.exec(body);
      if (s[i] === '$' && constant) text += JSON.parse(`"${constant[1]}"`);
      else expressions.push(`${s[i]}{${body}}`);
      i = j;
      continue;
    }
    text += s[i++];
  }
  return { text, expressions };
}

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  // `//` holds cdktf's metadata: a comment Terraform never evaluates
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== '//') { out.push(k); strings(x, out); }
  return out;
}

/** The expressions stackyard writes on purpose: secret and release variables, resource references, the job check. */
// stackyard's own: secret, secret-version and release references, resource attributes, the job
// postcondition and its message, and a start-first replica's revision
const REVISION = String.raw`substr\(terraform_data\.revision_[A-Za-z0-9_]+\.id, 0, 8\)`;
const ALLOWED = new RegExp(String.raw`^\$\{(var\.[A-Z][A-Z0-9_]*|var\.STACKYARD_SECRET_VERSIONS\["[A-Z][A-Z0-9_]*"\]|urlencode\(var\.[A-Z][A-Z0-9_]*\)|docker_[a-z_]+\.[A-Za-z0-9_]+\.[a-z_]+|terraform_data\.secret_version_[A-Z][A-Z0-9_]*\.output|self\.exit_code == 0|self\.name|${REVISION})\}$`);

describe('user text never becomes a Terraform expression', () => {
  const payloads = [
    '${file("/etc/hostname")}',
    '${var.DB_PASSWORD}',
    '%{ if true }x%{ endif }',
    '$${already escaped}',
    '${TfToken[TOKEN.1]}',
    '#{TfToken[TOKEN.2]}',
    '&{TfToken[TOKEN.3]}',
    'a "quoted"\nmulti-line ${x} value',
  ];
  // every string field of a file that reaches a Docker resource, the provider or a generated file
  const environment = (p: string) => {
    const q = JSON.stringify(p);
    const qs = (prefix: string) => JSON.stringify(prefix + p);
    return `name: esc
hosts:
  main: { docker: "unix:///var/run/docker.sock", address: ${q}, sshOptions: [${q}] }
  other: { docker: "ssh://deploy@other.example.com", address: 10.0.0.2, sshOptions: ["-o", ${q}] }
registries: [{ address: ${q}, username: ${q}, passwordSecret: REG_TOKEN }]
secrets: [DB_PASSWORD, REG_TOKEN]
nfs:
  shared: { server: files, path: ${qs('/')}, options: ${q} }
services:
  proxy: { kind: traefik, host: main, entrypoints: { web: 8001 }, labels: { x: ${q} } }
  files: { kind: nfs-server, host: main, exportPath: ${qs('/srv/')}, clients: ["10.0.0.0/8"], bind: 0.0.0.0 }
  db: { kind: postgres, host: main, password: DB_PASSWORD, image: ${q}, tag: ${q}, labels: { ${q}: ${qs('/')} } }
  grafana: { kind: grafana, host: other, adminPassword: DB_PASSWORD }
  prometheus: { kind: prometheus, host: main, publish: 9090, bind: 0.0.0.0 }
  api:
    kind: service
    host: main
    image: ghcr.io/acme/api
    tag: ${q}
    command: [${q}, serve]
    entrypoint: [${q}]
    env: { PLAIN: ${q} }
    labels: { note: ${q} }
    port: 8000
    route: ${JSON.stringify('PathPrefix(`/' + p + '`)')}
    health: ${qs('/h')}
    healthcheck: { test: [CMD, ${q}] }
    volumes: { data: ${qs('/data/')} }
    mounts: { shared: ${qs('/mnt/')} }
    uses: [db]
  nightly: { kind: scheduled-job, host: main, image: x/job, tag: "1", command: [run, ${q}], schedule: "0 3 * * *" }
`;
  };

  it.each(payloads)('%j reaches every field as text, and only stackyard\'s own references are expressions', (p) => {
    const stack = synth({ 'e.yaml': environment(p) }).esc;
    const docker = { provider: stack.provider, resource: stack.resource };
    const all = strings(docker).map(terraformText);
    for (const { expressions } of all) for (const e of expressions) expect(e).toMatch(ALLOWED);
    const api = stack.resource.docker_container.svc_api_1;
    const read = (v: string) => terraformText(v).text;
    expect(api.command.map(read)).toEqual([p, 'serve']);
    expect(api.entrypoint.map(read)).toEqual([p]);
    expect(api.env.map(read)).toContain(`PLAIN=${p}`);
    expect(api.healthcheck.test.map(read)).toEqual(['CMD', p]);
    const labels = Object.fromEntries(api.labels.map((l: any) => [read(l.label), read(l.value)]));
    expect(labels.note).toBe(p);
    expect(labels['traefik.http.routers.esc-api.rule']).toBe('PathPrefix(`/' + p + '`)');
    expect(labels['traefik.http.services.esc-api.loadbalancer.healthcheck.path']).toBe(`/h${p}`);
    expect(api.volumes.map((v: any) => read(v.container_path)).sort()).toEqual([`/data/${p}`, `/mnt/${p}`].sort());
    expect(read(stack.resource.docker_image[Object.keys(stack.resource.docker_image).find((k) => k.includes('acme'))!].name)).toBe(`ghcr.io/acme/api:${p}`);
    const db = stack.resource.docker_container.svc_db_1;
    expect(db.labels.map((l: any) => [read(l.label), read(l.value)])).toContainEqual([p, `/${p}`]);
    // generated file contents: Grafana's datasource URL carries the main host's address
    const grafana = stack.resource.docker_container.svc_grafana_1.upload.find((u: any) => u.file.endsWith('stackyard.yaml') && u.file.includes('datasources'));
    expect(read(grafana.content)).toContain(`url: ${JSON.stringify(`http://${p}:9090`)}`);
    // the scheduled command, shell-quoted into an Ofelia label
    const job = Object.fromEntries(stack.resource.docker_container.svc_nightly_1.labels.map((l: any) => [l.label, read(l.value)]));
    expect(job['ofelia.job-exec.nightly.command']).toContain('run ');
    // NFS driver options, export path, provider settings, registry credentials
    const nfs = stack.resource.docker_volume.nfs_main_shared;
    expect(read(nfs.driver_opts.o)).toBe(`addr=${p},${p}`);
    expect(read(nfs.driver_opts.device)).toBe(`:/${p}`);
    const providers = ([] as any[]).concat(stack.provider.docker);
    const main = providers.find((x) => x.alias === 'main');
    expect(main.ssh_opts).toBeUndefined(); // unix:// hosts take no ssh options
    expect(providers.find((x) => x.alias === 'other').ssh_opts.map(read)).toEqual(['-o', p]);
    expect(main.registry_auth.map((r: any) => [read(r.address), read(r.username), r.password])).toEqual([[p, p, '${var.REG_TOKEN}']]);
  });

  it('terraformLiteral escapes expressions and directives and breaks up the synthesizer\'s placeholders', () => {
    expect(terraformLiteral('a${b}c%{d}')).toBe('a$${b}c%%{d}');
    expect(terraformLiteral('$${x}')).toBe('$$${x}');
    expect(terraformText(terraformLiteral('${TfToken[TOKEN.1]}'))).toEqual({ text: '${TfToken[TOKEN.1]}', expressions: [] });
    expect(terraformLiteral('${TfToken[TOKEN.1]}')).not.toMatch(/[$#&]\{TfToken\[/);
    expect(terraformLiteral('#{TfToken[TOKEN.1]} &{TfToken[TOKEN.1]}')).not.toMatch(/[$#&]\{TfToken\[/);
  });
});

describe('published ports stay on the host unless bind: says otherwise', () => {
  it('a `publish:` without `bind:` listens on 127.0.0.1; `bind:` chooses the address', () => {
    const out = synth({
      'e.yaml': MINIMAL.replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, password: DB_PASSWORD, publish: 5432 }')
        + '  metrics: { kind: service, image: x/m, tag: "1", ports: { m: { container: 9100, publish: 9100 }, lan: { container: 9200, publish: 9200, bind: 10.0.0.1 } } }\n'
        + '  cache: { kind: redis, password: DB_PASSWORD, publish: 6379, bind: "::" }\n',
    }).test.resource.docker_container;
    expect(out.svc_db_1.ports).toEqual([{ internal: 5432, external: 5432, protocol: 'tcp', ip: '127.0.0.1' }]);
    expect(out.svc_metrics_1.ports).toEqual([
      { internal: 9100, external: 9100, protocol: 'tcp', ip: '127.0.0.1' },
      { internal: 9200, external: 9200, protocol: 'tcp', ip: '10.0.0.1' },
    ]);
    expect(out.svc_cache_1.ports).toEqual([{ internal: 6379, external: 6379, protocol: 'tcp', ip: '::' }]);
    // the proxy is the front door: its entrypoints listen everywhere
    expect(out.svc_proxy_1.ports).toEqual([{ internal: 8001, external: 8001, protocol: 'tcp', ip: '0.0.0.0' }]);
  });

  it('the Traefik dashboard and insecure API are published on 127.0.0.1 only, even with bind:', () => {
    const { containers } = dockerStack((s) => new TraefikProxy(s, 'proxy', { host: 'main', dashboard: { port: 8090 }, bind: '10.0.0.1' }));
    expect(containers.svc_proxy_1.ports).toEqual([
      { internal: 80, external: 80, protocol: 'tcp', ip: '10.0.0.1' },
      { internal: 8080, external: 8090, protocol: 'tcp', ip: '127.0.0.1' },
    ]);
  });

  it('a port others reach through the host address must not listen on loopback only (constructs from code too)', () => {
    const { problems } = dockerStack((s) => {
      const db = new Postgres(s, 'db', { host: 'core', password: 'DB_PASSWORD', publish: 5432 });
      new WebService(s, 'worker', { host: 'workers', image: 'x/w:1', port: 5003 }).uses(db);
    }, { hosts: ['core', 'workers'] });
    expect(problems).toEqual([
      "uses db from host workers, but db publishes its postgres port on 127.0.0.1 only; set `bind:` on it to an address host workers reaches (e.g. 0.0.0.0 or the host's private address)",
    ]);
  });
});

describe('limits the engine honours', () => {
  it('a memory limit below Docker\'s 6 MiB is an error from code too (100k used to become no limit)', () => {
    const { problems } = dockerStack((s) => new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, resources: { memory: '100k' } }));
    expect(problems).toEqual(["memory limit of 0 MiB is below Docker's minimum of 6 MiB; give at least 6m"]);
  });

  it('a worker pool whose port sequence runs past 65535', () => {
    const dir = writeFiles({ 'e.yaml': MINIMAL + '  pool: { kind: worker-pool, image: x/w, tag: "1", command: [run], type: t, hosts: { main: 10 }, basePort: 65530 }\n' });
    const r = spawnSync(process.execPath, [path.resolve(__dirname, '..', 'dist', 'bin', 'main.js')], { cwd: dir, env: { ...process.env, ENVIRONMENTS_DIR: '.', CDKTF_OUTDIR: 'out' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('e.yaml:17:98 services.pool.basePort: needs host ports up to 65539 on host main, past 65535; lower `basePort` or the replicas');
  });
});

describe('NFS exports', () => {
  const env = (server: string, address = 'core.example.com') => `name: n
hosts:
  core: { docker: "ssh://deploy@core.example.com", address: ${address} }
  b: { docker: "ssh://deploy@b.example.com", address: 10.0.0.2 }
nfs: { shared: { server: nfs } }
services:
  nfs: ${server}
  w: { kind: service, host: b, image: x/w, tag: "1", mounts: { shared: /mnt/shared } }
`;
  const exportOf = (files: Record<string, string>) => synth(files).n.resource.docker_container.svc_nfs_1.env.find((e: string) => e.startsWith('NFS_EXPORT_0='));

  it('go to the environment\'s host addresses with root_squash by default; clients and rootSquash opt out', () => {
    expect(exportOf({ 'e.yaml': env('{ kind: nfs-server, host: core, bind: 0.0.0.0 }') })).toBe(
      'NFS_EXPORT_0=/srv/shared 10.0.0.2(rw,no_subtree_check,fsid=0,root_squash) core.example.com(rw,no_subtree_check,fsid=0,root_squash)');
    expect(exportOf({ 'e.yaml': env('{ kind: nfs-server, host: core, bind: 0.0.0.0, clients: [10.0.0.0/24], rootSquash: false }') })).toBe(
      'NFS_EXPORT_0=/srv/shared 10.0.0.0/24(rw,no_subtree_check,fsid=0,no_root_squash)');
  });

  it('a loopback host address mounts through Docker\'s port proxy, so Docker\'s bridge range stands in for it', () => {
    expect(exportOf({ 'e.yaml': env('{ kind: nfs-server, host: core }', '127.0.0.1').replace('  b: { docker: "ssh://deploy@b.example.com", address: 10.0.0.2 }\n', '').replace('host: b,', 'host: core,') })).toBe(
      'NFS_EXPORT_0=/srv/shared 172.16.0.0/12(rw,no_subtree_check,fsid=0,root_squash)');
  });

  it('a server the hosts mount by a non-loopback address needs bind:', () => {
    const dir = writeFiles({ 'e.yaml': env('{ kind: nfs-server, host: core }') });
    const r = spawnSync(process.execPath, [path.resolve(__dirname, '..', 'dist', 'bin', 'main.js')], { cwd: dir, env: { ...process.env, ENVIRONMENTS_DIR: '.', CDKTF_OUTDIR: 'out' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("e.yaml:7:3 services.nfs.bind: the hosts mounting its NFS volumes reach nfs at core.example.com:2049, but it listens on 127.0.0.1 only; set `bind:` here");
  });
});

describe('values that reach a shell are quoted', () => {
  it('the Postgres backup runs a database name as one argument, never as a command', () => {
    const marker = path.join(tempDir(), 'pwned');
    const { environment, problems } = dockerStack((s) => {
      const db = new Postgres(s, 'db', { host: 'main', password: 'DB_PASSWORD', database: `app; touch ${marker} #`, user: "o'brien $(touch " + marker + ')' });
      new PostgresBackup(s, 'backup', { database: db });
    });
    // from code the names are reported (the file schema refuses them earlier) ...
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining('a Postgres database name is letters'), expect.stringContaining('a Postgres role name is letters')]));
    // ... and even so, running the generated command with stand-ins shows the shell never sees them as code
    const backup = environment.services.find((x) => x.serviceName === 'backup')!;
    const [shell, flag, script] = backup.schedule!.command;
    expect([shell, flag]).toEqual(['sh', '-c']);
    const bin = tempDir();
    const log = path.join(bin, 'argv.log');
    for (const tool of ['pg_dump', 'gzip', 'mkdir', 'mv', 'find', 'cat', 'date']) {
      fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\nprintf '%s\\n' "${tool}" "$@" >> ${log}\n`, { mode: 0o755 });
    }
    // redirect the dump folder into the sandbox: the script writes /backups/...; run it with / replaced by a chroot-free stand-in
    const sandboxed = script.split('/backups').join(path.join(bin, 'backups'));
    spawnSync('sh', ['-c', sandboxed], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
    expect(fs.existsSync(marker)).toBe(false);
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    const dump = lines.indexOf('pg_dump');
    expect(lines.slice(dump, dump + 6)).toEqual(['pg_dump', '-h', 'db', '-U', "o'brien $(touch " + marker + ')', `app; touch ${marker} #`]);
  });
});

describe('hostile files end quickly in a positioned error, and nothing is written', () => {
  const main = path.resolve(__dirname, '..', 'dist', 'bin', 'main.js');
  const run = (files: Record<string, string>, prepare?: (dir: string) => void) => {
    const dir = writeFiles(files);
    prepare?.(dir);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [main], { cwd: dir, env: { ...process.env, ENVIRONMENTS_DIR: '.', CDKTF_OUTDIR: 'out' }, encoding: 'utf8', timeout: 20_000 });
    return { ...r, seconds: (Date.now() - t0) / 1000, wrote: fs.existsSync(path.join(dir, 'out')) };
  };
  const bomb = (() => {
    const node = (i: number): string => (i === 0 ? '&a0 [x, x, x, x, x, x, x, x, x, x]' : `&a${i} [${node(i - 1)}, ${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
    return `partial: true\nservices:\n  api:\n    command: ${node(9)}\n`;
  })();

  it.each([
    ['a million replicas', { 'env.yaml': MINIMAL.replace('    port: 8000', '    port: 8000\n    replicas: 1000000') }, undefined, /^env\.yaml:13:5 services\.api\.replicas: must be at most 100/m],
    ['extends /dev/zero', { 'env.yaml': 'extends: /dev/zero\n' + MINIMAL }, undefined, /^env\.yaml:1:1 extends: extends \/dev\/zero, which is not a regular file/m],
    ['extends a FIFO', { 'env.yaml': 'extends: ./pipe.yaml\n' + MINIMAL }, (dir: string) => spawnSync('mkfifo', [path.join(dir, 'pipe.yaml')]), /^env\.yaml:1:1 extends: extends \.\/pipe\.yaml, which is not a regular file \(a device, socket or pipe\)/m],
    ['a FIFO among the environment files', { 'env.yaml': MINIMAL }, (dir: string) => spawnSync('mkfifo', [path.join(dir, 'zz.yaml')]), /^zz\.yaml:0:0 is not a regular file/m],
    ['an alias bomb in a base file', { 'env.yaml': 'extends: ./base.yaml\n' + MINIMAL, 'base.yaml': bomb }, undefined, /^base\.yaml:4:\d+ services\.api\.command\.[0.]+: expands to more than 100000 values/m],
    ['uses: [constructor]', { 'env.yaml': MINIMAL.replace('uses: [db]', 'uses: [constructor]') }, undefined, /^env\.yaml:15:12 services\.api\.uses\.0: unknown service "constructor"/m],
    ['after: [__proto__]', { 'env.yaml': MINIMAL.replace('uses: [db]', 'uses: [db]\n    after: [__proto__]') }, undefined, /^env\.yaml:16:13 services\.api\.after\.0: unknown service "__proto__"/m],
    ['an env key __proto__', { 'env.yaml': MINIMAL.replace('uses: [db]', 'uses: [db]\n    env: { __proto__: x }') }, undefined, /^env\.yaml:16:12 services\.api\.env\.__proto__: `__proto__` is not allowed as a key/m],
    ['memory: 100k', { 'env.yaml': MINIMAL.replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, password: DB_PASSWORD, resources: { memory: 100k } }') }, undefined, /^env\.yaml:7:61 services\.db\.resources\.memory: is below Docker's minimum memory limit of 6m/m],
    ['a service name with a trailing dash', { 'env.yaml': MINIMAL.replace('  api:\n', '  api-:\n') }, undefined, /^env\.yaml:8:3 services\.api-: invalid name "api-"/m],
    ['a service name over 40 characters', { 'env.yaml': MINIMAL.replace('  api:\n', `  a${'b'.repeat(40)}:\n`) }, undefined, /^env\.yaml:8:3 services\.ab{40}: invalid name/m],
    ['an environment name with a trailing dash', { 'env.yaml': MINIMAL.replace('name: test', 'name: test-') }, undefined, /^env\.yaml:1:1 name: an environment name must be .* not ending with a dash/m],
  ] as const)('%s', (_name, files, prepare, message) => {
    const r = run(files as Record<string, string>, prepare as ((dir: string) => void) | undefined);
    expect(r.status, r.stderr).toBe(1);
    expect(r.seconds).toBeLessThan(10);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('nothing was synthesized');
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(r.wrote).toBe(false);
  });
});
