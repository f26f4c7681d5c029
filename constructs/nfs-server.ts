import { Construct } from 'constructs';
import { EnvironmentStack } from '../lib/environment-stack';
import { Service } from '../lib/service';
import type { Origin } from '../lib/values';

export interface NfsServerProps {
  readonly host: string;
  /** Exported folder inside the server, kept in a protected volume. @default "/srv/shared" (seed 003) */
  readonly exportPath?: string;
  /** @default erichough/nfs-server:2.2.1 */
  readonly image?: string;
  /** Published NFS port (workers on other hosts mount through it). @default 2049 */
  readonly publish?: number;
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
    this.service
      .addEnv('NFS_EXPORT_0', `${this.exportPath} *(rw,no_subtree_check,fsid=0,no_root_squash)`)
      .addEnv('NFS_DISABLE_VERSION_3', 'true')
      .addPort('nfs', 2049, props.publish ?? 2049)
      .addVolume('export', this.exportPath);
  }

  /** Declares an NFS volume of this export (`/` is the export root under NFSv4's fsid=0). */
  volume(name: string, options: { path?: string; mountOptions?: string } = {}): string {
    EnvironmentStack.of(this).nfsVolumes.set(name, { server: this.service, path: options.path ?? '/', options: options.mountOptions ?? 'nfsvers=4,rw,soft' });
    return name;
  }
}
