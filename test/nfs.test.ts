/** NFS volumes from environment files: the server, its clients, mounts and their checks. */
import { describe, expect, it } from 'vitest';
import { errors, shared, synth, twoHostEnvironment } from './helpers';

const base = twoHostEnvironment;

describe('NFS', () => {
  const nfs = `  nfs: { kind: nfs-server, host: core, exportPath: /srv/ktrdr-shared, bind: 0.0.0.0 }
  worker: { kind: service, host: b, image: x/w, tag: "1", mounts: { shared: /mnt/shared } }
  api: { kind: service, host: core, image: x/a, tag: "1", mounts: { shared: /mnt/shared } }
`;
  const sOf = shared(() => synth({ 'e.yaml': base(nfs, 'nfs: { shared: { server: nfs } }\n') }).obs);

  it('exports from a privileged server with its data in a protected volume, to the environment\'s hosts only, root squashed', () => {
    const s = sOf();
    const c = s.resource.docker_container.svc_nfs_1;
    expect(c.privileged).toBe(true);
    expect(c.env).toContain('NFS_EXPORT_0=/srv/ktrdr-shared b.example.com(rw,no_subtree_check,fsid=0,root_squash) core.example.com(rw,no_subtree_check,fsid=0,root_squash)');
    expect(c.ports).toEqual([{ internal: 2049, external: 2049, protocol: 'tcp', ip: '0.0.0.0' }]);
    expect(s.resource.docker_volume.volume_nfs_export.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('mounts the share on every host through an nfs volume that points at the server host address', () => {
    const s = sOf();
    expect(s.resource.docker_volume.nfs_b_shared).toMatchObject({ provider: 'docker.b', driver: 'local', driver_opts: { type: 'nfs', o: 'addr=core.example.com,nfsvers=4,rw,soft', device: ':/' } });
    expect(s.resource.docker_volume.nfs_core_shared.provider).toBe('docker.core');
    // labelled with the environment (what `down --volumes` lists), the host and the NFS volume it mounts
    expect(s.resource.docker_volume.nfs_b_shared.labels).toEqual([{ label: 'stackyard.environment', value: 'obs' }, { label: 'stackyard.host', value: 'b' }, { label: 'stackyard.nfs', value: 'shared' }]);
    expect(s.resource.docker_container.svc_worker_1.volumes).toEqual([{ container_path: '/mnt/shared', volume_name: '${docker_volume.nfs_b_shared.name}' }]);
  });

  it('a Postgres backup can write into the shared storage', () => {
    const b = synth({ 'e.yaml': base(nfs + '  backup: { kind: postgres-backup, database: db, nfsVolume: shared }\n', 'nfs: { shared: { server: nfs } }\n') }).obs;
    const c = b.resource.docker_container.svc_backup_1;
    expect(c.volumes).toEqual([{ container_path: '/mnt/shared', volume_name: '${docker_volume.nfs_core_shared.name}' }]);
    const cmd = c.labels.find((l: any) => l.label === 'ofelia.job-exec.backup.command').value;
    expect(cmd).toContain('mkdir -p /mnt/shared/db-backups && ');
    expect(cmd).toContain('gzip > /mnt/shared/db-backups/app_\\"$(date +%Y%m%d)\\".sql.gz.tmp');
    expect(b.resource.docker_volume.volume_backup_backups).toBeUndefined();
  });

  it('an NFS volume whose server is not in the environment, and a mount of an undeclared volume', () => {
    expect(errors({ 'e.yaml': base(nfs, 'nfs: { shared: { server: filer } }\n') })).toEqual([
      'e.yaml:2:18 nfs.shared.server: "filer" is not an nfs-server service of this environment; name the service of kind: nfs-server that exports this volume',
    ]);
    expect(errors({ 'e.yaml': base(nfs.replace('mounts: { shared: /mnt/shared } }\n  api', 'mounts: { data: /mnt/data } }\n  api'), 'nfs: { shared: { server: nfs } }\n') })).toEqual([
      'e.yaml:10:69 services.worker.mounts.data: unknown NFS volume "data"; known: shared',
    ]);
  });

  it('a volume whose server is a service of another kind', () => {
    expect(errors({ 'e.yaml': base(nfs, 'nfs: { shared: { server: db } }\n') })).toEqual([
      'e.yaml:2:18 nfs.shared.server: "db" is not an nfs-server service of this environment; name the service of kind: nfs-server that exports this volume',
    ]);
  });

  it('Docker mounts NFS by address: a server on a host without `address:` is refused, naming that host', () => {
    // the server's own host lacks the address; the other host's address does not stand in for it
    expect(errors({ 'e.yaml': base(nfs.replace('host: core, exportPath', 'host: b, exportPath'), 'nfs: { shared: { server: nfs } }\n').replace(', address: b.example.com', '') })).toEqual([
      'e.yaml:2:18 nfs.shared.server: the NFS server runs on host b, which has no `address:`; Docker mounts NFS by address, give hosts.b.address',
    ]);
    // a server with no `host:` runs on the environment's only host
    const one = 'name: one\nhosts:\n  main: { docker: "ssh://deploy@main.example.com" }\nnfs: { shared: { server: files } }\nservices:\n  files: { kind: nfs-server, bind: 0.0.0.0 }\n  w: { kind: service, image: x/w, tag: "1", mounts: { shared: /mnt/shared } }\n';
    expect(errors({ 'e.yaml': one })).toEqual([
      'e.yaml:4:18 nfs.shared.server: the NFS server runs on host main, which has no `address:`; Docker mounts NFS by address, give hosts.main.address',
    ]);
    expect(() => synth({ 'e.yaml': one.replace('main.example.com" }', 'main.example.com", address: 10.0.0.5 }') })).not.toThrow();
  });

  it('a `kubernetes:` section on a Docker environment is refused once; the cluster checks of NFS volumes do not run', () => {
    expect(errors({ 'e.yaml': base(nfs, 'kubernetes: { namespace: d, readWriteMany: false, nodePools: { a: {} } }\nnfs: { shared: { server: nfs } }\n') })).toEqual([
      'e.yaml:2:1 kubernetes: only a `platform: kubernetes` environment takes a `kubernetes:` section; remove it or set the platform',
    ]);
  });

  it('with several hosts, a server without `host:` is asked for one, and no host is guessed for its address', () => {
    const unplaced = nfs.replace('host: core, exportPath', 'exportPath');
    expect(errors({ 'e.yaml': base(unplaced, 'nfs: { shared: { server: nfs } }\n').replace(', address: core.example.com', '') })).toEqual([
      'e.yaml:9:3 services.nfs: needs `host:`; this environment has several hosts (core, b)',
    ]);
  });
});
