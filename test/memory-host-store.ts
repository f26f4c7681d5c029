/**
 * What stackyard keeps on an environment's first host (lib/deploy/host-store.ts: the lock
 * container, the record file, the images the host holds), in memory, for in-process tests. A test
 * file swaps it in with
 *
 *   vi.mock('../lib/deploy/host-store', async (actual) =>
 *     (await import('./memory-host-store')).memoryHostStore(await actual()));
 *
 * and reads and arranges `hostStore` (imported as usual: the same module instance). test/e2e and
 * test/fleet run the real store on real engines.
 */
import type { LockInfo } from '../lib/deploy/deploy-lock';

export const hostStore = {
  locks: new Map<string, LockInfo>(),
  /** Each environment's record, as its file's text. */
  records: new Map<string, string>(),
  /** The tags the host holds, by repository. */
  tags: new Map<string, string[]>(),
  removedImages: [] as string[],
  /** lock <message>, unlock and record, in the order they happened. */
  events: [] as string[],
  /** Every host asked. */
  hosts: new Set<string>(),
  /** createLock loses a race: someone took the lock between the read and the create. */
  raceLost: false,
  reset(): void {
    this.locks.clear();
    this.records.clear();
    this.tags.clear();
    this.removedImages.length = 0;
    this.events.length = 0;
    this.hosts.clear();
    this.raceLost = false;
  },
};

type HostStore = typeof import('../lib/deploy/host-store');

/** The module `actual` with its host calls answered from `hostStore`. */
export function memoryHostStore(actual: HostStore): HostStore {
  const s = hostStore;
  return {
    ...actual,
    readLock: (host, env) => {
      s.hosts.add(host);
      const l = s.locks.get(env);
      return l && { ...l, id: 'c0ffee' };
    },
    createLock: (host, info) => {
      s.hosts.add(host);
      if (s.raceLost || s.locks.has(info.environment)) return false;
      s.locks.set(info.environment, info);
      s.events.push(`lock ${info.message}`);
      return true;
    },
    removeLock: (host, env) => {
      s.hosts.add(host);
      s.locks.delete(env);
      s.events.push('unlock');
    },
    readRecordsText: (host, env) => {
      s.hosts.add(host);
      return s.records.get(env) ?? '';
    },
    writeRecordsText: (host, env, text) => {
      s.hosts.add(host);
      s.records.set(env, text);
      s.events.push('record');
    },
    localTags: (host, repository) => {
      s.hosts.add(host);
      return s.tags.get(repository) ?? [];
    },
    removeImage: (host, ref) => {
      s.hosts.add(host);
      s.removedImages.push(ref);
      return true;
    },
  };
}
