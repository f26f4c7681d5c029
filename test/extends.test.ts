/** `extends:` merges: mappings key by key, lists replaced, and `null` removes what the base file has. */
import { describe, expect, it } from 'vitest';
import { errors, MINIMAL, synth } from './helpers';

const BASE = `partial: true
hosts:
  main: { docker: "unix:///var/run/docker.sock", address: 10.0.0.1 }
secrets: [DB_PASSWORD]
nfs:
  shared: { server: files }
services:
  files: { kind: nfs-server, host: main, bind: 0.0.0.0 }
  db: { kind: postgres, host: main, password: DB_PASSWORD }
  api: { kind: service, host: main, image: x/api, tag: "1", mounts: { shared: /mnt/shared }, env: { A: "1", B: "2" } }
`;

describe('extends', () => {
  it('null in the extending file removes a service, a mount, an NFS volume and an env entry of the base', () => {
    const s = synth({
      'base.yaml': BASE,
      'env.yaml': 'name: env\nextends: ./base.yaml\nnfs: { shared: null }\nservices:\n  files: null\n  api: { mounts: { shared: null }, env: { B: null } }\n',
    }, ['env.yaml']).env.resource;
    expect(Object.keys(s.docker_container).sort()).toEqual(['svc_api_1', 'svc_db_1']);
    expect(s.docker_volume && Object.keys(s.docker_volume).filter((k) => k.startsWith('nfs_'))).toEqual([]);
    expect(s.docker_container.svc_api_1.env).toEqual(['A=1']);
    expect(s.docker_container.svc_api_1.volumes).toBeUndefined();
  });

  it('without the removal the base keeps them (the same files, null left out)', () => {
    const s = synth({ 'base.yaml': BASE, 'env.yaml': 'name: env\nextends: ./base.yaml\n' }, ['env.yaml']).env.resource;
    expect(Object.keys(s.docker_container).sort()).toEqual(['svc_api_1', 'svc_db_1', 'svc_files_1']);
    expect(s.docker_container.svc_api_1.env).toEqual(['A=1', 'B=2']);
  });

  it('null for something the base does not have is an error at its place; errors in what is kept still point at the base', () => {
    expect(errors({ 'env.yaml': `${MINIMAL}  cache: null\n` })).toEqual([
      'env.yaml:17:3 services.cache: expected a mapping, got an empty value',
    ]);
    expect(errors({
      'env.yaml': 'name: env\nextends: ./base.yaml\nservices:\n  files: null\n',
      'base.yaml': BASE.replace('kind: postgres, host: main', 'kind: postgres, host: mian'),
    })).toEqual([
      // the removed server is still named by the NFS volume the extending file kept
      'base.yaml:6:13 nfs.shared.server: "files" is not an nfs-server service of this environment; name the service of kind: nfs-server that exports this volume',
      'base.yaml:9:25 services.db.host: unknown host "mian"; did you mean "main"?',
    ]);
  });
});
