import { BusError } from './errors.js';

/**
 * A topic both adapters take: dot-separated tokens of letters, digits, `_` and `-` (no NATS
 * wildcard, no space), at most 16 tokens of 64 — NATS subjects and stream names bound it, and a
 * topic valid on the embedded bus must stay valid when a deployment moves to NATS.
 */
const TOPIC = /^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,15}$/;

/**
 * Throws `BUS_INPUT_INVALID` for a topic name the adapters could not share.
 *
 * @example
 * ```ts
 * checkTopic('order.verified'); // fine
 * checkTopic('orders.*'); // throws BusError BUS_INPUT_INVALID
 * ```
 */
export function checkTopic(topic: string): void {
  if (typeof topic !== 'string' || !TOPIC.test(topic)) {
    throw new BusError(
      'BUS_INPUT_INVALID',
      `topic "${String(topic)}" must be 1–16 dot-separated tokens of 1–64 of [A-Za-z0-9_-]`,
    );
  }
}
