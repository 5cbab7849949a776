import type { Instance } from '../registry-types.js';

/**
 * Round-robin over the instances that take traffic (weight above 0, not draining), skipping those
 * a call already tried, so a retry always goes to a different instance.
 *
 * An instance that just failed (refused a connection, timed out, answered 5xx) is tried last for
 * `cooldownMs`: until the registry drops a dead instance, calls would otherwise keep paying a
 * failed try and a retry for it. It is only moved back, never removed, so a service is never
 * emptied by this alone.
 *
 * @example
 * ```ts
 * const picker = new InstancePicker();
 * const instance = picker.pick(instances, new Set());
 * ```
 */
export class InstancePicker {
  private next = 0;
  private readonly cooling = new Map<string, number>();

  constructor(private readonly cooldownMs = 1_000) {}

  /** The next instance to try, or undefined when every one was tried (or none takes traffic). */
  pick(instances: readonly Instance[], tried: ReadonlySet<string>, now = Date.now()): Instance | undefined {
    const takers = instances.filter((i) => i.weight !== 0 && i.status !== 'draining' && !tried.has(i.id));
    if (takers.length === 0) return undefined;
    const start = this.next++ % takers.length;
    if (this.next >= Number.MAX_SAFE_INTEGER) this.next = 0;
    let fallback: Instance | undefined;
    let fallbackUntil = Number.POSITIVE_INFINITY;
    for (let offset = 0; offset < takers.length; offset++) {
      const instance = takers[(start + offset) % takers.length] as Instance;
      const until = this.cooling.get(instance.id);
      if (until === undefined) return instance;
      if (until <= now) {
        this.cooling.delete(instance.id);
        return instance;
      }
      if (until < fallbackUntil) {
        fallback = instance;
        fallbackUntil = until;
      }
    }
    return fallback;
  }

  /** True if some instance not yet tried could take a retry. */
  hasOther(instances: readonly Instance[], tried: ReadonlySet<string>): boolean {
    return instances.some((i) => i.weight !== 0 && i.status !== 'draining' && !tried.has(i.id));
  }

  failed(id: string, now = Date.now()): void {
    this.cooling.set(id, now + this.cooldownMs);
  }

  succeeded(id: string): void {
    this.cooling.delete(id);
  }
}
