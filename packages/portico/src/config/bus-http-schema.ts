import { Type } from '@sinclair/typebox';

/**
 * `bus.http`: bounds of the bus consume API on the admin port (docs/bus.md, "HTTP API"), so a
 * consumer in another process neither spins nor holds the server's memory without bound.
 */
export const BusHttpSchema = Type.Object(
  {
    /** Longest wait of one fetch (long poll); a longer `waitMs` is cut to this. */
    maxWaitMs: Type.Integer({ minimum: 0, maximum: 120_000, default: 20_000 }),
    /** Most deliveries one fetch returns; a larger `max` is cut to this (and to `bus.maxFetch`). */
    maxBatch: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
    /** A consumer not called for this long is closed: its deliveries go back to its group. */
    consumerIdleMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 60_000 }),
    /** Open HTTP consumers per Portico process; one more is refused with `BUS_CONSUMER_LIMIT`. */
    maxConsumers: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
  },
  { additionalProperties: false, default: {} },
);
