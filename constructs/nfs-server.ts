import { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { Environment } from '../lib/environment';
import { defineKind, entryProps, plain, withDefaults, type ConstructProps } from '../lib/kind';
import { isLoopback, parseImage, Service } from '../lib/service';

export const NfsServerSchema = z.strictObject({
  kind: f.kind('nfs-server', 'An NFSv4 server exporting one folder from a protected volume; the top-level `nfs:` volumes name it.'),
  host: f.host,
  exportPath: z.string().startsWith('/').default('/srv/shared').describe('Exported folder inside the server, kept in a protected volume (seed 003).'),
  image: z.string().default('erichough/nfs-server:2.2.1').describe('Image, with its tag.'),
  publish: f.port.default(2049).describe('Published NFS port (hosts mount through it).'),
  bind: f.bind.optional().describe('Host address the NFS port listens on; hosts mount by `address:`, so use one they reach. Default: 127.0.0.1.'),
  clients: z.array(z.string().regex(/^[A-Za-z0-9.:/*_-]+$/, 'a host name, address or CIDR such as 10.0.0.0/24')).min(1).optional().describe('Who may mount: host names, addresses or CIDRs. Default: the `address:` of every host of the environment (Docker\'s bridge range for a loopback address); `*` in a Kubernetes cluster.'),
  rootSquash: z.boolean().default(true).describe('Map root on the clients to nobody (root_squash); false lets root on every client own the files.'),
});

export type NfsServerProps = ConstructProps<typeof NfsServerSchema>;

/** One top-level `nfs:` volume. Its path and options defaults are also `NfsServer.volume()`'s. */
export const NfsVolumeSchema = z.strictObject({
  server: z.string().min(1).describe('The nfs-server service exporting it.'),
  path: z.string().startsWith('/').default('/').describe('Path under the export.'),
  options: z.string().default('nfsvers=4,rw,soft').describe('Mount options.'),
});

/**
 * An NFSv4 server exporting one folder (seed 003's /srv/ktrdr-shared), data in a protected
 * volume. `volume()` declares an NFS volume other services mount on any host by the server
 * host's address; Docker's local driver does the mounting, so hosts need the NFS client.
 */
export class NfsServer extends Construct {
  readonly service: Service;
  readonly exportPath: string;

  constructor(scope: Construct, id: string, props: NfsServerProps) {
    super(scope, id);
    const p = withDefaults(NfsServerSchema, props);
    const environment = Environment.of(this);
    this.exportPath = p.exportPath;
    this.service = new Service(this, 'Default', {
      name: id,
      host: p.host,
      kind: 'nfs-server',
      image: parseImage(p.image),
      privileged: true,
      stateful: true,
      origin: p.origin,
    });
    const options = `rw,no_subtree_check,fsid=0,${p.rootSquash ? 'root_squash' : 'no_root_squash'}`;
    // in a cluster the server is reached through its ClusterIP service only; network policies limit it there
    const clients = p.clients?.length ? [...p.clients] : environment.platform === 'kubernetes' ? ['*'] : nfsClients([...environment.hosts.values()].map((h) => h.address));
    this.service
      .addEnv('NFS_EXPORT_0', `${this.exportPath} ${clients.map((c) => `${c}(${options})`).join(' ')}`)
      .addEnv('NFS_DISABLE_VERSION_3', 'true')
      .addPort('nfs', 2049, p.publish, p.bind)
      .addVolume('export', this.exportPath);
  }

  /**
   * Declares an NFS volume of this export. `path` is under the export (default `/`, the export
   * root under NFSv4's fsid=0); `mountOptions` default to `nfsvers=4,rw,soft` (NfsVolumeSchema).
   */
  volume(name: string, options: { path?: string; mountOptions?: string } = {}): string {
    const o = withDefaults(NfsVolumeSchema, { path: options.path, options: options.mountOptions });
    Environment.of(this).nfsVolumes.set(name, { server: this.service, path: o.path, options: o.options });
    return name;
  }
}

/**
 * Default NFS clients: every host address of the environment. A loopback address mounts through
 * Docker's port proxy, so the server sees the mount coming from a Docker bridge gateway instead:
 * 172.16.0.0/12 (Docker's default bridge pool) stands in for it. With no address at all, nothing
 * mounts by address, and only Docker's bridges may mount.
 */
export function nfsClients(addresses: readonly (string | undefined)[]): string[] {
  const out = new Set<string>();
  for (const a of addresses) {
    if (!a) continue;
    out.add(isLoopback(a) ? DOCKER_BRIDGES : a);
  }
  if (out.size === 0) out.add(DOCKER_BRIDGES);
  return [...out].sort();
}

const DOCKER_BRIDGES = '172.16.0.0/12';

export const nfsServerKind = defineKind({
  kind: 'nfs-server',
  schema: NfsServerSchema,
  stateful: true,
  formerNames: ['nfs'],
  provides: ['nfs'],
  build: (svc, ctx) => plain(new NfsServer(ctx.environment, ctx.name, entryProps(svc, ctx))),
  // the top-level `nfs:` volumes: each names the nfs-server exporting it
  checkEnvironment(env, report, ctx) {
    const k8s = env.platform === 'kubernetes';
    const hostNames = Object.keys(env.hosts);
    for (const [vol, def] of Object.entries(env.nfs)) {
      if (k8s && env.kubernetes && !env.kubernetes.readWriteMany) {
        report(['nfs', vol], 'an NFS volume is mounted ReadWriteMany by pods on several nodes, and this cluster declares `kubernetes.readWriteMany: false`; use a volume per service or enable NFS mounts on the nodes');
      }
      const server = ctx.service(def.server);
      if (!server || !ctx.provides(def.server, 'nfs')) {
        report(['nfs', vol, 'server'], `${JSON.stringify(def.server)} is not an nfs-server service of this environment; name the service of kind: nfs-server that exports this volume`);
      } else if (k8s && env.kubernetes && !env.kubernetes.clusterIPs[def.server]) {
        report(['nfs', vol, 'server'], `the kubelet mounts NFS from the node, which does not resolve cluster DNS names; give the NFS server a fixed address in the cluster's service range with \`kubernetes.clusterIPs: { ${def.server}: <IP> }\``);
      } else {
        const h = (server.host as string | undefined) ?? (hostNames.length === 1 ? hostNames[0] : undefined);
        const host = h !== undefined && Object.hasOwn(env.hosts, h) ? env.hosts[h] : undefined;
        if (!k8s && host && !host.address) report(['nfs', vol, 'server'], `the NFS server runs on host ${h}, which has no \`address:\`; Docker mounts NFS by address, give hosts.${h}.address`);
      }
    }
  },
  wireEnvironment(ctx) {
    for (const [vol, def] of Object.entries(ctx.env.nfs)) (ctx.built(def.server).construct as NfsServer).volume(vol, { path: def.path, mountOptions: def.options });
  },
});
