/** One delivered frame, kept for resume: its id and the frame already serialized. */
export interface HistoryEntry {
  id: string;
  frame: string;
}

/**
 * A bounded ring of a channel's last messages. A reconnecting client names the last id it saw:
 * it gets what followed, or `undefined` (resync) when that id fell out of the ring.
 *
 * @example
 * ```ts
 * const history = new ChannelHistory(100);
 * history.push({ id: 'm1', frame: '{"type":"message",…}' });
 * history.after('m1'); // []
 * ```
 */
export class ChannelHistory {
  readonly #entries: (HistoryEntry | undefined)[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    this.#entries = new Array(capacity);
  }

  push(entry: HistoryEntry): void {
    if (this.capacity === 0) return;
    this.#entries[this.#next] = entry;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** The entries after `id`, oldest first; `undefined` when `id` is not in the ring. */
  after(id: string): HistoryEntry[] | undefined {
    const start = (this.#next - this.#size + this.capacity) % Math.max(this.capacity, 1);
    for (let i = this.#size - 1; i >= 0; i--) {
      const entry = this.#entries[(start + i) % this.capacity];
      if (entry?.id === id) {
        const out: HistoryEntry[] = [];
        for (let j = i + 1; j < this.#size; j++) out.push(this.#entries[(start + j) % this.capacity] as HistoryEntry);
        return out;
      }
    }
    return undefined;
  }

  get size(): number {
    return this.#size;
  }
}
