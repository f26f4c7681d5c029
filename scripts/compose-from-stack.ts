/**
 * Writes the docker-compose file that runs the same containers as a synthesized stackyard
 * stack (for `npm run bench:deploy`, which times both side by side). Secret values are
 * resolved from TF_VAR_* into files in a private folder and bind-mounted where stackyard
 * uploads them. Usage: node dist/scripts/compose-from-stack.js <cdk.tf.json> <out-dir>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

type Json = any;

/** A container's name without its revision suffix (`-${substr(terraform_data.revision_x.id, 0, 8)}`): compose keeps one fixed name per container. */
export function composeName(name: string): string {
  return name.replace(/-\$\{substr\(terraform_data\.[A-Za-z0-9_]+\.id, 0, 8\)\}$/, '');
}

const serviceOf = (c: Json): string | undefined => (c.labels ?? []).find((l: Json) => l.label === 'stackyard.service')?.value;

export function composeFromStack(stack: Json, secretsDir: string): string {
  const r = stack.resource ?? {};
  const images: Record<string, string> = Object.fromEntries(Object.entries(r.docker_image ?? {}).map(([k, v]: [string, Json]) => [k, v.name]));
  const networks: Record<string, string> = Object.fromEntries(Object.entries(r.docker_network ?? {}).map(([k, v]: [string, Json]) => [k, v.name]));
  const volumes: Record<string, string> = Object.fromEntries(Object.entries(r.docker_volume ?? {}).map(([k, v]: [string, Json]) => [k, v.name]));
  const containers: Record<string, Json> = r.docker_container ?? {};
  const ref = (s: string, map: Record<string, string>, kind: string) => {
    const m = /^\$\{docker_(?:image|network|volume)\.([^.]+)\.(?:image_id|name)\}$/.exec(s);
    if (!m || !(m[1] in map)) throw new Error(`unsupported ${kind} reference ${s}`);
    return map[m[1]];
  };
  const resolve = (s: string) =>
    s
      .replace(/\$\{urlencode\(var\.([A-Z0-9_]+)\)\}/g, (_, n) => encodeURIComponent(secret(n)))
      .replace(/\$\{var\.([A-Z0-9_]+)\}/g, (_, n) => secret(n))
      .replace(/\$\{docker_network\.([^.]+)\.name\}/g, (_, n) => networks[n])
      .replace(/\$\$\{/g, '${');
  const services: Json = {};
  const usedVolumes = new Set<string>();
  for (const [id, c] of Object.entries(containers)) {
    const svc: Json = {
      container_name: composeName(c.name),
      hostname: c.hostname,
      image: ref(c.image, images, 'image'),
      restart: c.restart,
      labels: Object.fromEntries((c.labels ?? []).map((l: Json) => [l.label, resolve(l.value)])),
      environment: (c.env ?? []).map(resolve).map((e: string) => e.replace(/\$/g, '$$$$')),
      networks: Object.fromEntries((c.networks_advanced ?? []).map((n: Json) => [resolve(n.name), { aliases: n.aliases }])),
      logging: { driver: c.log_driver, options: c.log_opts },
    };
    if (c.command) svc.command = c.command.map((x: string) => x.replace(/\$/g, '$$$$'));
    if (c.entrypoint) svc.entrypoint = c.entrypoint;
    if (c.memory) svc.mem_limit = `${c.memory}m`;
    if (c.cpus) svc.cpus = Number(c.cpus);
    if (c.ports) svc.ports = c.ports.map((p: Json) => `${p.external}:${p.internal}`);
    if (c.healthcheck) {
      svc.healthcheck = { test: c.healthcheck.test.map((x: string) => x.replace(/\$/g, '$$$$')), interval: c.healthcheck.interval, timeout: c.healthcheck.timeout, retries: c.healthcheck.retries, start_period: c.healthcheck.start_period };
    }
    const mounts: string[] = [];
    for (const v of c.volumes ?? []) {
      if (v.volume_name) {
        const name = ref(v.volume_name, volumes, 'volume');
        usedVolumes.add(name);
        mounts.push(`${name}:${v.container_path}`);
      } else mounts.push(`${v.host_path}:${v.container_path}${v.read_only ? ':ro' : ''}`);
    }
    for (const u of c.upload ?? []) {
      const file = path.join(secretsDir, `${id}${u.file.replace(/\//g, '_')}`);
      fs.writeFileSync(file, resolve(u.content), { mode: parseInt(u.permissions ?? '0400', 8) });
      mounts.push(`${file}:${u.file}:ro`);
    }
    if (mounts.length) svc.volumes = mounts;
    const deps: Json = {};
    // only containers: the drain and revision gates (terraform_data) have no compose equivalent;
    // and only other services: replica n waiting for replica n - 1 is stackyard's one-at-a-time
    // update order, while compose starts a service's replicas together
    for (const d of (c.depends_on ?? []).filter((x: string) => x.startsWith('docker_container.'))) {
      const dep = containers[d.replace(/^docker_container\./, '')];
      if (serviceOf(dep) === serviceOf(c)) continue;
      const cond = dep.must_run === false ? 'service_completed_successfully' : dep.healthcheck ? 'service_healthy' : 'service_started';
      deps[d.replace(/^docker_container\./, '')] = { condition: cond };
    }
    if (Object.keys(deps).length) svc.depends_on = deps;
    services[id] = svc;
  }
  const doc = {
    services,
    networks: Object.fromEntries(Object.values(networks).map((n) => [n, { name: n }])),
    volumes: Object.fromEntries([...usedVolumes].map((v) => [v, { name: v }])),
  };
  return JSON.stringify(doc, null, 2) + '\n'; // JSON is valid YAML for docker-compose
}

function secret(name: string): string {
  const v = process.env[`TF_VAR_${name}`];
  if (v === undefined) throw new Error(`TF_VAR_${name} is not set`);
  return v;
}

if (require.main === module) {
  const [stackFile, outDir] = process.argv.slice(2);
  fs.mkdirSync(path.join(outDir, 'secrets'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(outDir, 'docker-compose.yml'), composeFromStack(JSON.parse(fs.readFileSync(stackFile, 'utf8')), path.join(outDir, 'secrets')));
}
