/**
 * A bounded set of message ids already handled, so a redelivered duplicate (at-least-once) is
 * acked without calling the handler again. Oldest ids leave first: memory stays bounded however
 * long the service runs, at the price of forgetting ids older than the window.
 *
 * @example
 * ```ts
 * const seen = new ProcessedWindow(10_000);
 * if (!seen.has(id)) { await handle(); seen.add(id); }
 * ```
 */
export class ProcessedWindow {
  // A Set iterates in insertion order, which is exactly the eviction order we want.
  readonly #ids = new Set<string>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    this.#ids.delete(id);
    this.#ids.add(id);
    while (this.#ids.size > this.capacity) {
      const oldest = this.#ids.values().next().value as string;
      this.#ids.delete(oldest);
    }
  }

  get size(): number {
    return this.#ids.size;
  }
}
