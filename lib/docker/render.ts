/**
 * Docker target: renders the model's Services (lib/environment.ts) into its Terraform stack
 * (lib/terraform/stack.ts) as kreuzwerker/docker resources,
 * one aliased provider per host. Logical ids are set by hand (svc_<service>_<n>, ...) so
 * plans read in the user's words and snapshots only change when behaviour does.
 */
import { Container, type ContainerConfig } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { Network } from '@cdktf/provider-docker/lib/network';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { createHash } from 'node:crypto';
import { TerraformResource } from 'cdktf';
import type { Construct } from 'constructs';
import { ConfigError } from '../config/errors';
import { checkEnvironment } from '../invariants';
import type { HostProps } from '../model';
import { RELEASE_VARIABLE, type EnvironmentStack } from '../terraform/stack';
import { imageName, LOOPBACK, secretPath, secretsIn, uniquePublished, type FileOwner, type Service } from '../service';
import { resolveUpdatePolicy, startsFirst } from '../update-policy';
import { cpusAsRead, durationAsRead, portsAsRead } from './readback';
import { slug, terraformLiteral, type Template } from '../values';
import { dockerReach } from './reach';
import { addSchedulers, scheduledContainer } from './scheduler';

/** Set STACKYARD_DESTROY_DATA=<environment> at synth to lift prevent_destroy from that environment's volumes. */
export const DESTROY_DATA_VARIABLE = 'STACKYARD_DESTROY_DATA';

/** Label every stackyard object carries; the proxy only sees containers of its environment. */
export const ENV_LABEL = 'stackyard.environment';

/**
 * Provider versions this code is tested with. The prebuilt bindings were generated for
 * kreuzwerker/docker 3.6.2; the engine built here from the Go module proxy is 4.6.0 (the only
 * release the proxy serves). 4.6.0 is the floor: attributes are written in the form its Read
 * produces (lib/docker/readback.ts).
 */
export const DOCKER_PROVIDER_CONSTRAINT = '>= 4.6.0, < 5.0.0';

const LOG_OPTS = { 'max-size': '10m', 'max-file': '3' };

/**
 * Traefik retries a request on another server when connecting failed (nothing was sent yet): a
 * replica that just got its stop signal refuses, the next one answers. Backoff from 100 ms
 * (Traefik doubles it, up to twice the first interval).
 */
export const RETRY = { attempts: 5, initialInterval: '100ms' } as const;

export function renderDocker(stack: EnvironmentStack): void {
  const env = stack.model.environmentName;
  addSchedulers(stack.model); // a model built from code gets its schedulers here (lib/build.ts added a file's before its checks)
  const reach = dockerReach(stack.model);
  const services = stack.model.services;
  // a model built from code and never validated may place a service on a host it does not have,
  // which nothing can render: the model rules say so, with the rest of what they find
  if (services.some((s) => !stack.model.hosts.has(s.host))) throw new ConfigError(checkEnvironment(stack.model));
  const protect = stack.model.protectVolumes && process.env[DESTROY_DATA_VARIABLE] !== env;
  const providers = new Map<string, DockerProvider>();
  const privateNets = new Map<string, Network>();
  const images = new Map<string, Image>();
  const containers = new Map<string, Container[]>();

  stack.addOverride('terraform.required_providers.docker.version', DOCKER_PROVIDER_CONSTRAINT);
  const usedHosts = [...new Set(services.map((s) => s.host))].sort();
  for (const hostName of usedHosts) {
    const host = stack.model.hosts.get(hostName)!;
    const provider = new DockerProvider(stack, `docker_${hostName}`, tf({
      ...providerConfig(host),
      registryAuth: stack.model.registries.length
        ? stack.model.registries.map((r) => ({ address: r.address, username: r.username, password: verbatim(stack.secretExpression(r.passwordSecret)) }))
        : undefined,
    }));
    providers.set(hostName, provider);
    const net = new Network(stack, `network_${hostName}_private`, tf({
      provider,
      name: `${env}-private`,
      driver: 'bridge',
      labels: [{ label: ENV_LABEL, value: env }],
    }));
    net.overrideLogicalId(`network_${slug(hostName)}_private`);
    privateNets.set(hostName, net);
  }
  const proxy = stack.model.proxy;
  let proxyNet: Network | undefined;
  if (proxy) {
    proxyNet = new Network(stack, 'network_proxy', tf({
      provider: providers.get(proxy.service.host)!,
      name: `${env}-proxy`,
      driver: 'bridge',
      labels: [{ label: ENV_LABEL, value: env }],
    }));
    proxyNet.overrideLogicalId('network_proxy');
  }

  const imageFor = (s: Service): Image => {
    const name = s.image.release ? `${s.image.repository}:\${var.${RELEASE_VARIABLE}}` : imageName(s.image);
    const key = `${s.host}|${name}`;
    let img = images.get(key);
    if (!img) {
      // the release tag is the one expression in an image name; the repository stays text
      const tfName = s.image.release ? verbatim(`${terraformLiteral(s.image.repository)}:\${var.${RELEASE_VARIABLE}}`) : name;
      // the construct id only names the resource in the `//` metadata comment; no synthesizer placeholder may hide in it
      img = new Image(stack, `image_${key.replace(/\{TfToken\[/g, '{TfToken_')}`, tf({ provider: providers.get(s.host)!, name: tfName, keepLocally: true }));
      img.overrideLogicalId(`image_${slug(s.host)}_${slug(name)}`);
      images.set(key, img);
    }
    return img;
  };

  // NFS volumes: one docker volume of type nfs per host that mounts it; the data lives on the server
  const nfsVolumes = new Map<string, Volume>();
  const nfsVolume = (name: string, host: string): Volume => {
    const key = `${name}|${host}`;
    let v = nfsVolumes.get(key);
    if (!v) {
      const def = stack.model.nfsVolumes.get(name)!;
      const address = stack.model.hosts.get(def.server.host)?.address ?? def.server.host;
      v = new Volume(stack, `nfs_${host}_${name}`, tf({
        provider: providers.get(host)!,
        name: `${env}-nfs-${name}`,
        driver: 'local',
        driverOpts: { type: 'nfs', o: `addr=${address},${def.options}`, device: `:${def.path}` },
        labels: [{ label: ENV_LABEL, value: env }, { label: 'stackyard.host', value: host }, { label: 'stackyard.nfs', value: name }],
      }));
      v.overrideLogicalId(`nfs_${slug(host)}_${slug(name)}`);
      nfsVolumes.set(key, v);
    }
    return v;
  };

  // Services are rendered in dependency order so depends_on can name the containers.
  for (const s of topological(services)) {
    const provider = providers.get(s.host)!;
    const image = imageFor(s);
    const volumes = s.volumes.map((v) => {
      const vol = new Volume(stack, `volume_${s.serviceName}_${v.name}`, tf({
        provider,
        name: `${env}-${s.serviceName}-${v.name}`,
        labels: [{ label: ENV_LABEL, value: env }, { label: 'stackyard.host', value: s.host }, { label: 'stackyard.service', value: s.serviceName }],
        lifecycle: protect ? { preventDestroy: true } : undefined,
      }));
      vol.overrideLogicalId(`volume_${slug(s.serviceName)}_${slug(v.name)}`);
      return { volumeName: verbatim(vol.name), containerPath: v.path };
    });
    const binds = s.bindMounts.map((b) => ({ hostPath: b.hostPath, containerPath: b.path, readOnly: b.readOnly }));
    const nfs = s.nfsMounts.map((m) => ({ volumeName: verbatim(nfsVolume(m.volume, s.host).name), containerPath: m.path }));
    const dependsOn: TerraformResource[] = s.dependencies.flatMap((d) => containers.get(d.service.serviceName) ?? []);
    const routed = s.routes.length > 0 || s === proxy?.service;
    const networks = [{ name: verbatim(privateNets.get(s.host)!.name), aliases: [s.serviceName] }];
    if (routed && proxyNet) networks.push({ name: verbatim(proxyNet.name), aliases: [s.serviceName] });

    // settings as text (tf() escapes them), secrets only as references; sorted by what they read
    const envEntry = (k: string, v: string): [string, string] => [`${k}=${v}`, `${k}=${v}`];
    const env_ = [...s.env.entries()].map(([k, v]) => envEntry(k, v));
    for (const sec of s.secrets) if (sec.as === 'env') env_.push([`${sec.name}=${stack.secretExpression(sec.name)}`, verbatim(`${sec.name}=${stack.secretExpression(sec.name)}`)]);
    const byText = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    env_.sort(byText);
    const uploads = [
      ...s.secrets.filter((x) => x.as === 'file').map((x) => ({ file: secretPath(x.name), content: verbatim(stack.secretExpression(x.name)), permissions: x.mode })),
      ...s.files.map((f) => ({ file: f.path, content: typeof f.content === 'function' ? f.content(reach) : renderTemplate(stack, f.content), permissions: f.mode })),
    ].sort((a, b) => a.file.localeCompare(b.file));
    // a rotated secret (its recorded version changes) replaces exactly the containers that read it,
    // visibly even in a plan whose secret values are placeholders; the version itself stays off the host
    const versionTriggers = [...new Set([...s.secrets.map((x) => x.name), ...s.files.flatMap(secretsIn)])].sort()
      .map((n) => stack.secretVersionAddress(n)).filter((a): a is string => a !== undefined);
    // uploads are root:root (see readerNeedsRootGroup): a non-root reader whose group is not root
    // joins group root to read its 0440 files
    const groupAdd = readerNeedsRootGroup(s.secretsOwner) && uploads.some((u) => (parseInt(u.permissions, 8) & 0o004) === 0) ? ['0'] : undefined;

    // start-first (and one-shot jobs, which a start-first service's replacement may recreate
    // create-before-destroy): revisioned names, so old and new containers can exist side by side
    const policy = resolveUpdatePolicy(s);
    const startFirst = startsFirst(s);
    const revisioned = startFirst || !!s.oneShot;
    const digests: string[] = [];
    // a scheduled Service idles, and the host's Ofelia runs its job (lib/docker/scheduler.ts)
    const scheduled = scheduledContainer(s);

    const list: Container[] = [];
    for (let i = 1; i <= s.replicas; i++) {
      const name = `${env}-${s.serviceName}-${i}`;
      const own = s.perReplica?.(i) ?? {};
      const replicaEnv = (own.env ? [...env_, ...Object.entries(own.env).map(([k, v]) => envEntry(k, v))].sort(byText) : env_).map(([, v]) => v);
      const replicaPorts = [...s.ports, ...(own.ports ?? [])];
      const labels = {
        ...s.labels,
        [ENV_LABEL]: env,
        'stackyard.service': s.serviceName,
        'stackyard.kind': s.kind,
        'stackyard.host': s.host,
        'stackyard.replica': String(i),
        ...(proxyNet ? traefikLabels(stack, s, verbatim(proxyNet.name)) : {}),
        ...scheduled?.labels,
      };
      const hc = s.healthcheck;
      const config: ContainerConfig = {
        provider,
        name,
        // the stable replica name, whatever revision runs it
        hostname: name,
        image: verbatim(image.imageId),
        command: scheduled?.command ?? (s.command ? [...s.command] : undefined),
        entrypoint: scheduled?.entrypoint ?? (s.entrypoint ? [...s.entrypoint] : undefined),
        env: nonEmpty(replicaEnv),
        labels: Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([label, value]) => ({ label, value })),
        networksAdvanced: networks,
        ports: nonEmpty(portsAsRead(uniquePublished(replicaPorts).map((p) => ({ internal: p.container, external: p.publish!, protocol: 'tcp', ip: p.bind ?? LOOPBACK })))),
        volumes: nonEmpty([...volumes, ...nfs, ...binds].sort((a, b) => a.containerPath.localeCompare(b.containerPath))),
        privileged: s.privileged ? true : undefined,
        upload: nonEmpty(uploads),
        groupAdd,
        healthcheck: hc
          ? {
              test: [...hc.test],
              interval: durationAsRead(hc.intervalSeconds),
              timeout: durationAsRead(hc.timeoutSeconds),
              retries: hc.retries,
              startPeriod: durationAsRead(hc.startPeriodSeconds),
            }
          : undefined,
        memory: s.memoryMb,
        memorySwap: s.memoryMb !== undefined ? memorySwapFor(s.memoryMb) : undefined,
        cpus: s.cpus !== undefined ? (cpusAsRead(s.cpus) ?? String(s.cpus)) : undefined,
        // a replaced or destroyed container gets its stop signal and this long before SIGKILL
        // (without it the provider stops with a zero timeout); stop_timeout is what `docker stop`
        // and an engine shutdown use
        destroyGraceSeconds: policy.stopGraceSeconds,
        stopTimeout: policy.stopGraceSeconds,
        stopSignal: s.stopSignal,
        logDriver: 'json-file',
        logOpts: LOG_OPTS,
        restart: s.oneShot ? 'no' : 'unless-stopped',
        mustRun: s.oneShot ? false : true,
        attach: s.oneShot ? true : undefined,
        wait: !s.oneShot && hc ? true : undefined,
        waitTimeout: !s.oneShot && hc ? Math.max(60, hc.startPeriodSeconds + hc.intervalSeconds * (hc.retries + 1) + 30) : undefined,
        lifecycle: s.oneShot
          ? {
              postcondition: [
                {
                  condition: verbatim('${self.exit_code == 0}'),
                  errorMessage: verbatim(`${terraformLiteral(`one-shot job "${s.serviceName}" of environment "${env}" failed (container `)}\${self.name}${terraformLiteral(' exited non-zero); dependents were not deployed. Read its output with: docker logs ')}\${self.name}`),
                },
              ],
            }
          : startFirst ? { createBeforeDestroy: true } : undefined,
      };
      if (revisioned) digests.push(settingsDigest(config));
      const named = revisioned ? { ...config, name: verbatim(`${terraformLiteral(name)}-\${substr(terraform_data.${revisionId(s)}.id, 0, 8)}`) } : config;
      // start-first replicas come up `parallelism` at a time: replica i waits for replica i - parallelism
      const previous = startFirst && i > policy.parallelism ? [list[i - policy.parallelism - 1]] : [];
      const after = [...dependsOn, ...previous];
      const c = new Container(stack, `svc_${s.serviceName}_${i}`, tf({ ...named, dependsOn: after.length ? after : undefined }));
      // the provider waits for an attached job within its create timeout, 20 minutes by default
      // (the prebuilt bindings lack the timeouts block, the provider's schema has it)
      if (s.oneShot) c.addOverride('timeouts', { create: `${s.oneShot.timeoutSeconds}s` });
      if (versionTriggers.length) c.addOverride('lifecycle.replace_triggered_by', versionTriggers);
      c.overrideLogicalId(`svc_${slug(s.serviceName)}_${i}`);
      list.push(c);
    }
    containers.set(s.serviceName, list);
    if (revisioned) revisionOf(stack, s, digests, image);
    // Under create_before_destroy Terraform destroys the old containers only after everything
    // that depends on the new ones exists: this gate, created `drainSeconds` after the last new
    // replica is healthy, holds the old ones in the proxy's rotation until it has the new ones.
    if (startFirst && policy.drainSeconds > 0) {
      const gate = new TerraformData(stack, `drain_${s.serviceName}`, { containers: list.map((c) => c.id) }, [{ type: 'local-exec', command: `sleep ${policy.drainSeconds}` }]);
      gate.overrideLogicalId(`drain_${slug(s.serviceName)}`);
    }
  }
}

/**
 * Terraform's built-in `terraform_data` with `triggers_replace`: a new random `id` whenever the
 * triggers change. (cdktf's own DataResource runs the Terraform binary at synth to check its
 * version; synthesis here needs no engine.)
 */
class TerraformData extends TerraformResource {
  constructor(scope: Construct, id: string, private readonly triggers: Record<string, unknown>, provisioners?: { type: 'local-exec'; command: string }[]) {
    super(scope, id, { terraformResourceType: 'terraform_data', terraformGeneratorMetadata: { providerName: 'terraform' }, provisioners });
  }

  get id(): string {
    return this.getStringAttribute('id');
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { triggers_replace: this.triggers };
  }
}

/**
 * The revision of a start-first service (or job): `terraform_data.revision_<service>`, whose random
 * id gives its replicas their names, `<env>-<service>-<n>-<8 hex digits of the id>`. It is
 * replaced, so every replica gets a new name that create_before_destroy can start next to the old
 * one, whenever what replaces a container changes: the replicas' configuration as synthesized
 * (hashed here), the image id, or a secret value they read. The values are kept in the encrypted
 * state and shown as sensitive; no value, not even hashed, enters a name (a short hash of a weak
 * password can be checked against guesses). A random id rather than a digest: after a failed
 * update the old container (deposed) and the unhealthy new one (tainted) keep their names until
 * the next apply, which must be able to create a container of the old configuration next to them.
 */
function revisionOf(stack: EnvironmentStack, s: Service, digests: string[], image: Image): TerraformData {
  const secrets = [...new Set([...s.secrets.map((x) => x.name), ...s.files.flatMap(secretsIn)])].sort();
  const r = new TerraformData(stack, `revision_${s.serviceName}`, {
    settings: createHash('sha256').update(digests.join('|')).digest('hex'),
    image: `\${docker_image.${image.friendlyUniqueId}.image_id}`,
    // the recorded version of a secret (a keyed hash, lib/deploy/secret-versions.ts) where the
    // stack records them, so a plan with placeholder values sees no change; else the value
    ...Object.fromEntries(secrets.map((n) => {
      const version = stack.secretVersionAddress(n);
      return [`secret_${n}`, version ? `\${${version}.output}` : stack.secretExpression(n)];
    })),
  });
  r.overrideLogicalId(revisionId(s));
  return r;
}

function revisionId(s: Service): string {
  return `revision_${slug(s.serviceName)}`;
}

/** SHA-256 of a container's configuration as synthesized (references to networks and volumes, fixed names, as text). */
function settingsDigest(config: ContainerConfig): string {
  const { provider: _p, name: _n, image: _i, dependsOn: _d, lifecycle: _l, ...rest } = config;
  const settings = JSON.stringify(tf(rest)).replace(/\$\{TfToken\[[^\]]*\]\}/g, '<ref>');
  return createHash('sha256').update(settings).digest('hex');
}

function providerConfig(host: HostProps) {
  return {
    alias: host.name,
    host: host.docker,
    sshOpts: host.docker.startsWith('ssh://') && host.sshOptions.length ? [...host.sshOptions] : undefined,
    certPath: host.docker.startsWith('tcp://') ? host.tlsCertPath : undefined,
  };
}

function traefikLabels(stack: EnvironmentStack, s: Service, network: string): Record<string, string> {
  if (s.routes.length === 0) return {};
  const proxy = stack.model.proxy!;
  const out: Record<string, string> = { 'traefik.enable': 'true', 'traefik.docker.network': network };
  s.routes.forEach((r, idx) => {
    const id = `${stack.model.environmentName}-${s.serviceName}${idx === 0 ? '' : `-${idx + 1}`}`;
    const router = `traefik.http.routers.${id}`;
    const svc = `traefik.http.services.${id}`;
    out[`${router}.rule`] = r.rule;
    out[`${router}.entrypoints`] = [...(r.entrypoints ?? proxy.entrypoints)].join(',');
    out[`${router}.service`] = id;
    out[`${router}.middlewares`] = `${id}-retry`;
    out[`traefik.http.middlewares.${id}-retry.retry.attempts`] = String(RETRY.attempts);
    out[`traefik.http.middlewares.${id}-retry.retry.initialinterval`] = RETRY.initialInterval;
    if (proxy.certResolver) out[`${router}.tls.certresolver`] = proxy.certResolver;
    out[`${svc}.loadbalancer.server.port`] = String(r.port);
    if (r.healthPath) {
      out[`${svc}.loadbalancer.healthcheck.path`] = r.healthPath;
      out[`${svc}.loadbalancer.healthcheck.interval`] = '5s';
    }
  });
  return out;
}

/**
 * The one path from the model to a provider resource: every string in `config` is text and is
 * escaped (terraformLiteral: `${` → `$${`, `%{` → `%%{`, synthesizer placeholders broken up),
 * whatever field it sits in (command, entrypoint, env, labels, healthcheck, routes, file contents,
 * paths, names, provider settings). Only values the renderer itself wraps in verbatim() (secret
 * and release-tag references, references to other resources, the job postcondition) are emitted
 * as expressions. Resources, providers and other objects that are not plain data pass through.
 */
export function tf<T>(config: T): T {
  return escapeDeep(config) as T;
}

function escapeDeep(v: unknown): unknown {
  if (typeof v === 'string') return terraformLiteral(v);
  if (v instanceof Verbatim) return v.text;
  if (Array.isArray(v)) return v.map(escapeDeep);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDeep(x)]));
  }
  return v;
}

/** Text the renderer writes as a Terraform expression on purpose; tf() leaves it as it is. */
class Verbatim {
  constructor(readonly text: string) {}
}

/** Marks renderer-made text as an expression (typed as a string so configs keep their provider types). */
function verbatim(text: string): string {
  return new Verbatim(text) as unknown as string;
}

/** Renders a template: text escaped, secrets as variable references (never values); only for a config passed to tf(). */
function renderTemplate(stack: EnvironmentStack, t: Template): string {
  return verbatim(t
    .map((p) => (typeof p === 'string' ? terraformLiteral(p) : p.encode === 'url' ? `\${urlencode(${stack.secretReference(p.secret)})}` : stack.secretExpression(p.secret)))
    .join(''));
}

/**
 * Whether a reader needs group root to read its secret files. Uploads stay root:root: 4.6.0's
 * upload `owner`/`group` turn on Docker's copyUIDGID, which resolves the image's USER by name
 * (Docker 20.10 in the host's passwd database: "getent unable to find entry "1000:1000""), so
 * uploads to most non-root images would fail. A supplementary group (group_add) carries no
 * capability; a reader whose primary group is root (Grafana's 472:0) needs none.
 */
export function readerNeedsRootGroup(reader: FileOwner): boolean {
  return reader.uid !== 0 && reader.gid !== 0;
}

/**
 * memory_swap when memory is limited: equal to memory, so the container does not swap (as on
 * Kubernetes). Left unset, Docker stores twice the memory and the provider reads that back, which
 * the configuration does not say: a change on every plan.
 */
export function memorySwapFor(memoryMb: number): number {
  return memoryMb;
}

/** Leaves empty lists out of the configuration (cheaper to synthesize, same plan). */
function nonEmpty<T>(xs: T[]): T[] | undefined {
  return xs.length ? xs : undefined;
}


/** Dependency order, stable by name; cycles are reported by the invariants before rendering. */
function topological(services: Service[]): Service[] {
  const byName = [...services].sort((a, b) => a.serviceName.localeCompare(b.serviceName));
  const done = new Set<string>();
  const out: Service[] = [];
  const visit = (s: Service, stack: Set<string>) => {
    if (done.has(s.serviceName) || stack.has(s.serviceName)) return;
    stack.add(s.serviceName);
    for (const d of s.dependencies) visit(d.service, stack);
    done.add(s.serviceName);
    out.push(s);
  };
  for (const s of byName) visit(s, new Set());
  return out;
}
