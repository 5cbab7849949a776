import { Type } from '@sinclair/typebox';

/** `bus.nats`: settings of the NATS JetStream adapter only (`bus.url` names the server). */
export const NatsBusSchema = Type.Object(
  {
    /** First token of every subject (`<prefix>.<topic>`) and stream name (`<PREFIX>_T_…`). */
    prefix: Type.String({ pattern: '^[a-z0-9]{1,32}$', default: 'portico' }),
    /** Credentials, when the server asks for them: a token, or a user and password. */
    token: Type.String({ default: '', maxLength: 4096 }),
    user: Type.String({ default: '', maxLength: 256 }),
    pass: Type.String({ default: '', maxLength: 4096 }),
    /** Upper bound of a group's delivered-and-not-acked messages (JetStream max_ack_pending). */
    maxAckPending: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
    /** How long a publish waits for its PubAck (and an ack for its confirmation) before failing. */
    requestTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
  },
  { additionalProperties: false, default: {} },
);
