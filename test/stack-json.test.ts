/**
 * The readers of a synthesized stack and of a state that every deploy decision uses
 * (lib/deploy/stack-json.ts), each on its own: what they take from a real-shaped document, and
 * that they read defensively what an empty, older or odd one holds.
 */
import { describe, expect, it } from 'vitest';
import { dockerHosts, environmentOf, parseState, stackContainers, stateContainers, stateNetworks, type StateJson } from '../lib/deploy/stack-json';

describe('a state', () => {
  it('empty output (no state yet) is an empty state; a state without resources too', () => {
    expect(parseState('')).toStrictEqual({ resources: [] });
    expect(parseState('  \n')).toStrictEqual({ resources: [] });
    expect(parseState('{"version":4}')).toStrictEqual({ resources: [] });
    expect(parseState('{"resources":{"odd":1}}')).toStrictEqual({ resources: [] });
    expect(parseState(' {"resources":[{"type":"t","name":"n"}]}\n')).toStrictEqual({ resources: [{ type: 't', name: 'n' }] });
    expect(() => parseState('{not json')).toThrow();
  });

  const state: StateJson = {
    resources: [
      { mode: 'managed', type: 'docker_container', name: 'svc_api_1', instances: [{ attributes: { name: '/prod-api-1', exit_code: null }, status: 'tainted' }] },
      { mode: 'managed', type: 'docker_container', name: 'svc_job_1', module: 'module.m', instances: [{ index_key: 0, attributes: { name: 'prod-job-1', exit_code: 3 } }, { index_key: 'b', attributes: {} }] },
      { mode: 'data', type: 'docker_container', name: 'read_only', instances: [{ attributes: { name: 'x' } }] },
      { type: 'docker_container', name: 'no_mode', instances: [{}] },
      { mode: 'managed', type: 'docker_image', name: 'img', instances: [{ attributes: { name: 'i' } }] },
      { mode: 'managed', type: 'docker_network', name: 'net', instances: [{ attributes: { name: 'prod-z' } }, { attributes: { name: 'prod-a' } }, { attributes: {} }] },
      { mode: 'data', type: 'docker_network', name: 'ext', instances: [{ attributes: { name: 'bridge' } }] },
      { type: 'docker_network', name: 'old', instances: [{ attributes: { name: 'prod-m' } }] },
      { mode: 'managed', type: 'docker_network', name: 'empty' },
    ],
  };

  it('containers: managed ones only, by address (module and index key included), name without the slash, exit code or null, status', () => {
    expect(stateContainers(state)).toStrictEqual([
      { address: 'docker_container.svc_api_1', name: 'prod-api-1', exitCode: null, status: 'tainted' },
      { address: 'module.m.docker_container.svc_job_1[0]', name: 'prod-job-1', exitCode: 3, status: undefined },
      { address: 'module.m.docker_container.svc_job_1["b"]', name: undefined, exitCode: null, status: undefined },
      { address: 'docker_container.no_mode', name: undefined, exitCode: null, status: undefined },
    ]);
    expect(stateContainers({})).toEqual([]);
    // a container resource with no instance (all removed) lists nothing; only a leading slash is taken off
    expect(stateContainers({ resources: [{ mode: 'managed', type: 'docker_container', name: 'gone' }] })).toStrictEqual([]);
    expect(stateContainers({ resources: [{ type: 'docker_container', name: 'c', instances: [{ attributes: { name: 'a/b' } }] }] })[0].name).toBe('a/b');
  });

  it('networks: the names of the managed ones, sorted', () => {
    expect(stateNetworks(state)).toStrictEqual(['prod-a', 'prod-m', 'prod-z']);
    expect(stateNetworks({})).toEqual([]);
    // an instance without attributes (tofu writes them, a hand-edited state may not) is skipped
    expect(stateNetworks({ resources: [{ type: 'docker_network', name: 'n', instances: [{}, { attributes: { name: 'x' } }] }] })).toStrictEqual(['x']);
  });
});

describe('a synthesized stack', () => {
  it('its containers (a copy), or none', () => {
    const stack = { resource: { docker_container: { a: { name: 'x' } }, docker_network: {} } };
    const c = stackContainers(stack);
    expect(c).toStrictEqual({ a: { name: 'x' } });
    c.b = {};
    expect(stack.resource.docker_container).toStrictEqual({ a: { name: 'x' } });
    expect(stackContainers({})).toStrictEqual({});
    expect(stackContainers({ resource: {} })).toStrictEqual({});
  });

  it('its docker hosts: a list or one block, alias "default" when unnamed, ssh options copied', () => {
    expect(dockerHosts({ provider: { docker: [{ alias: 'core', host: 'ssh://a', ssh_opts: ['-o', 'X=1'] }, { host: 'unix:///s' }] } })).toStrictEqual([
      { alias: 'core', host: 'ssh://a', sshOpts: ['-o', 'X=1'] },
      { alias: 'default', host: 'unix:///s', sshOpts: [] },
    ]);
    expect(dockerHosts({ provider: { docker: { host: 'ssh://one' } } })).toStrictEqual([{ alias: 'default', host: 'ssh://one', sshOpts: [] }]);
    expect(dockerHosts({})).toStrictEqual([]);
    expect(dockerHosts({ provider: {} })).toStrictEqual([]);
  });

  it('its environment: stackyard\'s record, else the stack name cdktf wrote', () => {
    expect(environmentOf({ '//': { stackyard: { environment: 'prod' } as never, metadata: { stackName: 'other' } } })).toBe('prod');
    expect(environmentOf({ '//': { metadata: { stackName: 'older' } } })).toBe('older');
    expect(environmentOf({ '//': {} })).toBeUndefined();
    expect(environmentOf({})).toBeUndefined();
  });
});
