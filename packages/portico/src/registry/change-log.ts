import type { RegistryChange } from '@portico/sdk';

/**
 * The last `capacity` changes, so a watcher that reconnects can be given exactly what it
 * missed. A ring buffer: appending never allocates once full.
 */
export class ChangeLog {
  private readonly entries: (RegistryChange | undefined)[];
  private next = 0;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.entries = new Array(capacity);
  }

  append(change: RegistryChange): void {
    this.entries[this.next] = change;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /**
   * The changes after `revision`, oldest first, or `undefined` when some of them are no longer
   * held (the watcher must resync from a snapshot).
   */
  after(revision: number, current: number): RegistryChange[] | undefined {
    if (revision === current) return [];
    if (revision > current) return undefined;
    const missed = current - revision;
    if (missed > this.size) return undefined;
    const out: RegistryChange[] = [];
    for (let i = missed; i > 0; i--) {
      out.push(this.entries[(this.next - i + this.capacity) % this.capacity] as RegistryChange);
    }
    return out;
  }
}
