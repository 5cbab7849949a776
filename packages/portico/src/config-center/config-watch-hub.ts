import type { ConfigChange } from './config-store-port.js';

/**
 * Tells the open watch streams of each write, once it has committed. In-process: the config
 * center runs in the one process that holds identity (docs/config-center.md).
 *
 * @example
 * ```ts
 * const stop = hub.subscribe((change) => send(change));
 * hub.publish(change);
 * ```
 */
export class ConfigWatchHub {
  private readonly listeners = new Set<(change: ConfigChange) => void>();

  subscribe(listener: (change: ConfigChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(change: ConfigChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // One broken stream must not keep the others from the change.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
