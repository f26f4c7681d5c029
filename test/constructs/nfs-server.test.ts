import { describe, expect, it } from 'vitest';
import { NfsServer, nfsClients } from '../../constructs/nfs-server';
import { GenericService } from '../../constructs/generic-service';
import { dockerStack } from './harness';

describe('NfsServer', () => {
  it('exports its folder from a protected volume to the hosts\' addresses, root squashed, NFSv4 only, privileged', () => {
    const { containers, json } = dockerStack((s) => new NfsServer(s, 'files', { host: 'main', bind: '0.0.0.0' }), { hosts: ['main', 'edge'] });
    const c = containers.svc_files_1;
    expect(c.privileged).toBe(true);
    expect(c.env).toEqual(expect.arrayContaining(['NFS_DISABLE_VERSION_3=true']));
    const exp = c.env.find((e: string) => e.startsWith('NFS_EXPORT_0='));
    expect(exp).toMatch(/^NFS_EXPORT_0=\/srv\/shared 10\.0\.0\.1\(rw,[^)]*root_squash[^)]*\) 10\.0\.0\.2\(/);
    expect(exp).not.toContain('no_root_squash');
    expect(c.ports).toEqual([{ internal: 2049, external: 2049, ip: '0.0.0.0', protocol: 'tcp' }]);
    expect(json.resource.docker_volume.volume_files_export.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('rootSquash: false and explicit clients are what it exports', () => {
    const { containers } = dockerStack((s) => new NfsServer(s, 'files', { host: 'main', clients: ['10.9.0.0/24'], rootSquash: false }));
    expect(containers.svc_files_1.env.find((e: string) => e.startsWith('NFS_EXPORT_0='))).toMatch(/^NFS_EXPORT_0=\/srv\/shared 10\.9\.0\.0\/24\([^)]*no_root_squash/);
  });

  it('default clients: every host address once, sorted; a loopback one as Docker\'s bridges; none at all, the bridges only', () => {
    expect(nfsClients(['10.0.0.3', undefined, '10.0.0.2', '10.0.0.3'])).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(nfsClients(['127.0.0.1', '10.0.0.2', 'localhost'])).toEqual(['10.0.0.2', '172.16.0.0/12']);
    expect(nfsClients([])).toEqual(['172.16.0.0/12']);
    expect(nfsClients([undefined, ''])).toEqual(['172.16.0.0/12']);
  });
});

describe('NfsServer.volume', () => {
  const mount = (options?: { path?: string; mountOptions?: string }) => dockerStack((s) => {
    const files = new NfsServer(s, 'files', { host: 'main', bind: '0.0.0.0' });
    const shared = files.volume('shared', options);
    new GenericService(s, 'w', { host: 'main', image: 'x/w', tag: '1' }).service.addNfsMount(shared, '/mnt/shared');
  }).json.resource.docker_volume.nfs_main_shared.driver_opts;

  it('mounts the export root with NFSv4, read-write and soft by default (the `nfs:` section\'s defaults)', () => {
    expect(mount()).toEqual({ type: 'nfs', o: 'addr=10.0.0.1,nfsvers=4,rw,soft', device: ':/' });
  });

  it('a path under the export and mount options given replace the defaults', () => {
    expect(mount({ path: '/backups', mountOptions: 'nfsvers=4.2,ro' })).toEqual({ type: 'nfs', o: 'addr=10.0.0.1,nfsvers=4.2,ro', device: ':/backups' });
  });
});
