/**
 * What the kreuzwerker/docker provider (4.x) changes in place and what it replaces, from its
 * schema (internal/provider/resource_docker_container.go, resource_docker_volume.go): every
 * top-level docker_container attribute is ForceNew except those below, and every docker_volume
 * attribute is (the Docker API cannot update a volume). Used where no engine is at hand to say
 * it: the synth diff of a pull request from a fork (lib/plan/synth-diff.ts).
 */

/** Top-level docker_container attributes that are not ForceNew in provider 4.x; a change to any other replaces the container. */
export const CONTAINER_IN_PLACE: ReadonlySet<string> = new Set([
  // set on the running container by the provider's update (ContainerUpdate)
  'restart', 'max_retry_count', 'memory', 'memory_reservation', 'memory_swap', 'cpu_shares', 'cpu_set', 'cpu_period', 'cpu_quota',
  'device_read_bps', 'device_read_iops', 'device_write_bps', 'device_write_iops', 'tmpfs', 'init',
  // the provider's own behaviour, not the container's
  'rm', 'start', 'wait', 'wait_timeout', 'attach', 'logs', 'must_run', 'remove_volumes', 'destroy_grace_seconds', 'container_read_refresh_timeout_milliseconds',
  // read back from the engine, never configured
  'exit_code', 'container_logs', 'bridge', 'network_data',
]);

/**
 * Terraform's meta-arguments (and cdktf's metadata): how Terraform treats the resource, not an
 * attribute of it; a change to them alone changes nothing on the host.
 */
export const META_ARGUMENTS: ReadonlySet<string> = new Set(['//', 'count', 'for_each', 'provider', 'depends_on', 'lifecycle', 'provisioner', 'connection', 'timeouts']);

/** Whether a change at `path` (dot-separated, top-level attribute first) replaces a resource of `type`. */
export function forcesReplacement(type: string, path: string): boolean {
  if (type === 'docker_volume') return true;
  if (type !== 'docker_container') return false;
  const top = path.split('.')[0];
  // another provider is another host: Terraform creates it there, and the data stays where it was
  if (top === 'provider') return true;
  return !CONTAINER_IN_PLACE.has(top) && !META_ARGUMENTS.has(top);
}
