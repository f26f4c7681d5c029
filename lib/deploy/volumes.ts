/**
 * What `down` does with the data volumes the state no longer knows. A plain `down` takes the
 * volumes out of the state and leaves them on the hosts (`docker compose down`); a later
 * `down --volumes` then found nothing in the state to destroy and said nothing. Like
 * `docker compose down -v`, which removes the project's volumes whether or not an earlier
 * `down` ran, `down --volumes` removes every volume labelled with the environment
 * (stackyard.environment=<env>) on the environment's hosts, after the destroy and behind the
 * same confirmation. A plain `down` names the volumes it keeps and how to delete them.
 */
import type { Removal } from './orphans';

export interface LabelledVolume {
  readonly name: string;
  /** Containers (any, not only the environment's) that mount it: Docker refuses to remove it then. */
  readonly users: readonly string[];
}

export interface VolumeListing {
  readonly alias: string;
  readonly host: string;
  readonly volumes: readonly LabelledVolume[];
}

export type VolumeDecision =
  | { readonly kind: 'keep'; readonly messages: readonly string[] }
  | { readonly kind: 'remove'; readonly removals: readonly Removal[] }
  | { readonly kind: 'refuse'; readonly message: string };

/** After the destroy: `down --volumes` removes the environment's labelled volumes; a plain `down` says which it keeps. */
export function decideVolumes(environment: string, deleteData: boolean, hosts: readonly VolumeListing[]): VolumeDecision {
  const all = hosts.flatMap((h) => [...h.volumes].sort((a, b) => a.name.localeCompare(b.name)).map((v) => ({ h, v })));
  if (!deleteData) {
    if (!all.length) return { kind: 'keep', messages: [] };
    return {
      kind: 'keep',
      messages: [
        ...all.map(({ h, v }) => `keeping volume ${v.name} on ${h.alias} (out of the state; the next deploy reuses it)`),
        `npm run down -- ${environment} --volumes deletes ${all.length === 1 ? 'it' : `these ${all.length}`}`,
      ],
    };
  }
  const busy = all.filter(({ v }) => v.users.length);
  if (busy.length) {
    return {
      kind: 'refuse',
      message: [
        `the containers and networks of ${environment} are gone, but ${busy.length} of its data volume(s) are still mounted, so none was deleted:`,
        ...busy.map(({ h, v }) => `    ${v.name} on ${h.alias} (${h.host}), used by ${[...v.users].sort().join(', ')}`),
        '  Those containers are not in the state of this environment (an interrupted deploy, or another stack mounting the volume).',
        `  Remove them (docker rm -f <name>) and run down --volumes again.`,
      ].join('\n'),
    };
  }
  return {
    kind: 'remove',
    removals: all.map(({ h, v }) => ({ alias: h.alias, host: h.host, name: v.name, message: `deleting volume ${v.name} on ${h.alias}` })),
  };
}
