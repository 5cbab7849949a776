/**
 * Wakes fetches waiting on a topic when this process publishes to it, or when a notification
 * says another process did (PostgreSQL `LISTEN/NOTIFY`, embedded-bus.ts), so a waiting member gets
 * a message in well under the poll interval (`bus.pollMs`), which stays the fallback.
 */
export class Wakeup {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Resolves on the next `notify(topic)` or after `ms`, whichever comes first. */
  wait(topic: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(topic) ?? new Set<() => void>();
      this.waiters.set(topic, set);
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      set.add(done);
    });
  }

  notify(topic: string): void {
    for (const done of [...(this.waiters.get(topic) ?? [])]) done();
  }

  /** Releases every waiter (on close). */
  notifyAll(): void {
    for (const topic of this.waiters.keys()) this.notify(topic);
  }
}
