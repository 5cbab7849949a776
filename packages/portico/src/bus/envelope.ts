import { randomUUID } from 'node:crypto';
import type { BusMessage, PublishInput } from '@portico/sdk';

/**
 * The stored envelope of a publish: a random UUID when no id was given, the publish time, and
 * `tenantId: null` for platform-wide messages. Optional fields stay absent rather than undefined,
 * so the JSON is the same on both adapters.
 *
 * @example
 * ```ts
 * completeEnvelope({ type: 'order.verified', data: { orderId: 'o1' } }).id; // a UUID
 * ```
 */
export function completeEnvelope<T>(input: PublishInput<T>, now: Date = new Date()): BusMessage<T> {
  const message: BusMessage<T> = {
    id: input.id ?? randomUUID(),
    type: input.type,
    timestamp: now.toISOString(),
    tenantId: input.tenantId ?? null,
    data: input.data,
  };
  if (input.traceparent !== undefined) message.traceparent = input.traceparent;
  if (input.key !== undefined) message.key = input.key;
  return message;
}
