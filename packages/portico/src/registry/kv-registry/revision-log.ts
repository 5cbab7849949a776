import type { RegistryChange } from '@portico/sdk';

/**
 * The last `capacity` changes this registry process has applied, in revision order, so a
 * watcher that reconnects — to this process or from another one — gets exactly what it missed.
 * Unlike the memory registry's log, revisions here are stream sequences and may skip numbers
 * (entries that are not changes, history trimmed per key), so coverage is tracked by `floor`:
 * every change above it is held.
 */
export class RevisionLog {
  private entries: RegistryChange[] = [];
  private start = 0;

  /** @param floor changes at or below this revision may be missing (the stream's start). */
  constructor(
    private readonly capacity: number,
    private floor = 0,
  ) {}

  append(change: RegistryChange): void {
    this.entries.push(change);
    if (this.entries.length - this.start > this.capacity) {
      this.floor = (this.entries[this.start] as RegistryChange).revision;
      this.start++;
      // Compacted now and then rather than shifted each time.
      if (this.start >= this.capacity) {
        this.entries = this.entries.slice(this.start);
        this.start = 0;
      }
    }
  }

  /** The changes after `revision`, oldest first, or `undefined` when some may be gone (resync). */
  after(revision: number): RegistryChange[] | undefined {
    if (revision < this.floor) return undefined;
    let low = this.start;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.entries[mid] as RegistryChange).revision <= revision) low = mid + 1;
      else high = mid;
    }
    return this.entries.slice(low);
  }
}
