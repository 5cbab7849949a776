import type { Instance } from '../registry-types.js';
import { RegistryWatcher, type RegistryWatcherOptions } from './registry-watcher.js';

/** Where a client finds the instances of a service. */
export interface InstanceSource {
  /** The instances known now (starts discovery on first use). */
  instances(service: string): readonly Instance[];
  /** Resolves true once the source has heard from the registry, false after `timeoutMs`. */
  ready(timeoutMs: number): Promise<boolean>;
  /** The client no longer needs the source. */
  release(): void;
}

interface Shared {
  watcher: RegistryWatcher;
  users: number;
}

/** One watcher per registry URL, however many clients use it. */
const shared = new Map<string, Shared>();

/**
 * A lease on the registry watcher of `registryUrl`: all clients of one registry share a single
 * watch stream, opened on first use and closed when the last client releases it.
 *
 * @example
 * ```ts
 * const source = discover('http://127.0.0.1:9080');
 * if (await source.ready(2_000)) console.log(source.instances('orders'));
 * source.release();
 * ```
 */
export function discover(registryUrl: string, options: RegistryWatcherOptions = {}): InstanceSource {
  const key = registryUrl.replace(/\/+$/, '');
  let entry = shared.get(key);
  if (!entry) {
    entry = { watcher: new RegistryWatcher(key, options), users: 0 };
    shared.set(key, entry);
  }
  entry.users++;
  const { watcher } = entry;
  let released = false;
  return {
    instances(service) {
      watcher.start();
      return watcher.instances(service);
    },
    ready(timeoutMs) {
      watcher.start();
      return watcher.ready(timeoutMs);
    },
    release() {
      if (released) return;
      released = true;
      const current = shared.get(key);
      if (current?.watcher !== watcher) return;
      current.users--;
      if (current.users > 0) return;
      shared.delete(key);
      watcher.stop();
    },
  };
}
