/** How the deploy's own docker commands (orphan reaping) reach a host: as the provider does, ssh options included. */
import { describe, expect, it } from 'vitest';
import { dockerCommand, dockerHosts } from '../lib/deploy/stack-json';

describe('docker commands of the deploy', () => {
  const stack = {
    provider: {
      docker: [
        { alias: 'core', host: 'ssh://root@10.231.0.2', ssh_opts: ['-F', '/var/tmp/fleet/ssh/config'] },
        { alias: 'local', host: 'unix:///var/run/docker.sock' },
      ],
    },
  };

  it('reads each host with its ssh options from the stack', () => {
    expect(dockerHosts(stack)).toEqual([
      { alias: 'core', host: 'ssh://root@10.231.0.2', sshOpts: ['-F', '/var/tmp/fleet/ssh/config'] },
      { alias: 'local', host: 'unix:///var/run/docker.sock', sshOpts: [] },
    ]);
  });

  it('a host with ssh options: ssh with them runs the docker CLI there, every argument quoted for the remote shell', () => {
    expect(dockerCommand(dockerHosts(stack)[0], ['ps', '-aq', '--filter', 'label=stackyard.environment=x y'])).toEqual({
      command: 'ssh',
      args: ['-F', '/var/tmp/fleet/ssh/config', '-l', 'root', '--', '10.231.0.2', 'docker', 'ps', '-aq', '--filter', "'label=stackyard.environment=x y'"],
    });
    expect(dockerCommand({ host: 'ssh://deploy@h.example:2222', sshOpts: ['-i', 'k'] }, ['rm', '-f', 'a']).args).toEqual(['-i', 'k', '-p', '2222', '-l', 'deploy', '--', 'h.example', 'docker', 'rm', '-f', 'a']);
  });

  it('without ssh options (or not ssh): the docker CLI with -H, as before', () => {
    expect(dockerCommand(dockerHosts(stack)[1], ['ps'])).toEqual({ command: 'docker', args: ['-H', 'unix:///var/run/docker.sock', 'ps'] });
    expect(dockerCommand({ host: 'ssh://deploy@h', sshOpts: [] }, ['ps'])).toEqual({ command: 'docker', args: ['-H', 'ssh://deploy@h', 'ps'] });
  });
});
