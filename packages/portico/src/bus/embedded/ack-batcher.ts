import { type Kysely, sql } from 'kysely';

interface Waiter {
  token: string;
  resolve(found: boolean): void;
  reject(error: unknown): void;
}

/**
 * Acks of one bus, coalesced: the acks that arrive while a delete is on its way (or in the same
 * tick) go out together in the next one, so a consumer that settles a batch of 50 pays one
 * statement, not 50 (bench/RESULTS.md, "Bus": acks were most of the embedded adapter's cost
 * beside pg-boss's one `complete(ids)`). Each ack still resolves only once its own row is gone.
 *
 * @example
 * ```ts
 * const acks = new AckBatcher(db);
 * const found = await acks.ack(token); // false for a stale token (re-claimed since)
 * ```
 */
export class AckBatcher {
  #queue: Waiter[] = [];
  #flushing = false;

  constructor(private readonly db: Kysely<unknown>) {}

  ack(token: string): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#queue.push({ token, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        // After the current tick, so acks issued together (Promise.all) share the first delete.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        const result = await sql<{ token: string }>`delete from bus_deliveries
          where token = any(${sql.val(batch.map((w) => w.token))}::text[]) returning token`.execute(this.db);
        const gone = new Set(result.rows.map((row) => row.token));
        for (const waiter of batch) waiter.resolve(gone.has(waiter.token));
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    this.#flushing = false;
  }
}
