import { Type } from '@sinclair/typebox';
import { BusHttpSchema } from './bus-http-schema.js';
import { NatsBusSchema } from './bus-nats-schema.js';

/** The bus adapters a config may name (docs/bus.md). */
export const BUS_ADAPTERS = ['embedded', 'nats'] as const;

/** Retention of a topic: the oldest messages past whichever bound go first. */
const retention = (options: { default?: object } = {}) =>
  Type.Object(
    {
      maxAgeMs: Type.Optional(Type.Integer({ minimum: 1 })),
      maxMessages: Type.Optional(Type.Integer({ minimum: 1 })),
      maxBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    { additionalProperties: false, ...options },
  );

/** `bus`: the event bus. Embedded (durable in the store) by default, so `npm start` needs nothing else. */
export const BusSchema = Type.Object(
  {
    adapter: Type.Unsafe<(typeof BUS_ADAPTERS)[number]>({
      type: 'string',
      enum: [...BUS_ADAPTERS],
      default: 'embedded',
    }),
    /** The NATS server(s) for `adapter: nats`, e.g. `nats://127.0.0.1:4222`. */
    url: Type.String({ default: '', maxLength: 2048 }),
    /** A publish with an id seen on its topic within this window is a duplicate. */
    dedupWindowMs: Type.Integer({ minimum: 1000, default: 120_000 }),
    /** Default retention of every topic. */
    retention: retention({ default: { maxAgeMs: 604_800_000 } }),
    /** Retention by topic name, over the default. */
    topics: Type.Record(Type.String({ minLength: 1, maxLength: 200 }), retention(), { default: {} }),
    /** Embedded: how often a waiting fetch looks for messages published by another process. */
    pollMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 200 }),
    /** Embedded: how often the retention sweeper runs. */
    sweepMs: Type.Integer({ minimum: 1000, default: 30_000 }),
    /** NATS adapter: names, credentials and bounds (docs/bus.md, "NATS JetStream adapter"). */
    nats: NatsBusSchema,
    /** The consume API on the admin port: long-poll, batch and consumer bounds. */
    http: BusHttpSchema,
    /** Upper bound of one fetch, whatever a consumer asks (bounded prefetch). */
    maxFetch: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
  },
  { additionalProperties: false, default: {} },
);
