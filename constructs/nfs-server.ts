import { Construct } from 'constructs';
import { EnvironmentStack } from '../lib/environment-stack';
import { isLoopback, Service } from '../lib/service';
import type { Origin } from '../lib/values';

export interface NfsServerProps {
  readonly host: string;
  /** Exported folder inside the server, kept in a protected volume. @default "/srv/shared" (seed 003) */
  readonly exportPath?: string;
  /** @default erichough/nfs-server:2.2.1 */
  readonly image?: string;
  /** Published NFS port (workers on other hosts mount through it). @default 2049 */
  readonly publish?: number;
  /** Host address the published port(s) listen on. @default 127.0.0.1 (this host only) */
  readonly bind?: string;
  /**
   * Who may mount the export: host names, addresses or CIDRs.
   * @default - the `address:` of every host of the environment (Docker's bridge range for a loopback address, see nfsClients); `*` in a Kubernetes cluster
   */
  readonly clients?: readonly string[];
  /** Map root on the clients to nobody (root_squash); false lets root on every client own the files. @default true */
  readonly rootSquash?: boolean;
  /** @default - construct path */
  readonly origin?: Origin;
}

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
    const stack = EnvironmentStack.of(this);
    this.exportPath = props.exportPath ?? '/srv/shared';
    this.service = new Service(this, 'Default', {
      name: id,
      host: props.host,
      kind: 'nfs',
      image: { repository: (props.image ?? 'erichough/nfs-server:2.2.1').split(':')[0], tag: (props.image ?? 'erichough/nfs-server:2.2.1').split(':')[1] },
      privileged: true,
      stateful: true,
      origin: props.origin,
    });
    const options = `rw,no_subtree_check,fsid=0,${props.rootSquash === false ? 'no_root_squash' : 'root_squash'}`;
    // in a cluster the server is reached through its ClusterIP service only; network policies limit it there
    const clients = props.clients?.length ? [...props.clients] : stack.platform === 'kubernetes' ? ['*'] : nfsClients([...stack.hosts.values()].map((h) => h.address));
    this.service
      .addEnv('NFS_EXPORT_0', `${this.exportPath} ${clients.map((c) => `${c}(${options})`).join(' ')}`)
      .addEnv('NFS_DISABLE_VERSION_3', 'true')
      .addPort('nfs', 2049, props.publish ?? 2049, props.bind)
      .addVolume('export', this.exportPath);
  }

  /** Declares an NFS volume of this export (`/` is the export root under NFSv4's fsid=0). */
  volume(name: string, options: { path?: string; mountOptions?: string } = {}): string {
    EnvironmentStack.of(this).nfsVolumes.set(name, { server: this.service, path: options.path ?? '/', options: options.mountOptions ?? 'nfsvers=4,rw,soft' });
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
