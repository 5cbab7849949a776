/**
 * Names on the NATS side. One stream per topic (`<PREFIX>_T_<topic>`, subject `<prefix>.<topic>`):
 * JetStream's limits (max_age, max_msgs, max_bytes, duplicate_window) are per stream, so a stream
 * per topic gives each topic its own retention with no bookkeeping of Portico's, and a topic's
 * groups are plain durable consumers without a subject filter. Portico's own streams sit under
 * subjects that no topic subject can overlap (`<prefix>-dlq.…`, `<prefix>-delayed.…`).
 */

/**
 * Encodes a name into one NATS token that is also a valid stream/consumer name, injectively:
 * letters and digits stay, `.` becomes `_`, anything else becomes `-xx` (its hex code).
 *
 * @example
 * ```ts
 * token('order.verified'); // 'order_verified'
 * token('order_verified'); // 'order-5fverified'
 * ```
 */
export function token(name: string): string {
  let out = '';
  for (const char of name) {
    if (/[A-Za-z0-9]/.test(char)) out += char;
    else if (char === '.') out += '_';
    else out += `-${char.codePointAt(0)?.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The names one adapter uses, from its prefix (default `portico`). */
export interface Names {
  stream(topic: string): string;
  subject(topic: string): string;
  /** Subject of a keyed message: `<prefix>-k.<topic>.<bucket>` (no topic subject can overlap it). */
  keyedSubject(topic: string, bucket: number | '*'): string;
  /** The subject a message is stored under: keyed ones by their key's bucket. */
  messageSubject(topic: string, key: string | undefined): string;
  /** The prefix of every topic stream's name, to list them. */
  streamPrefix: string;
  dlqStream: string;
  dlqSubject(topic: string, group: string): string;
  /** Subject filter of the dead letters of one topic and/or group (`*` for the other). */
  dlqFilter(topic?: string, group?: string): string;
  delayedStream: string;
  delayedSubject(topic: string): string;
}

/** Builds the names for `prefix` (a lowercase token, e.g. `portico`). */
export function names(prefix: string): Names {
  const upper = token(prefix).toUpperCase();
  return {
    stream: (topic) => `${upper}_T_${token(topic)}`,
    subject: (topic) => `${prefix}.${topic}`,
    keyedSubject: (topic, bucket) => `${prefix}-k.${topic}.${bucket}`,
    messageSubject: (topic, key) =>
      key === undefined ? `${prefix}.${topic}` : `${prefix}-k.${topic}.${keyBucket(key)}`,
    streamPrefix: `${upper}_T_`,
    dlqStream: `${upper}_DLQ`,
    dlqSubject: (topic, group) => `${prefix}-dlq.${token(topic)}.${token(group)}`,
    dlqFilter: (topic, group) =>
      `${prefix}-dlq.${topic === undefined ? '*' : token(topic)}.${group === undefined ? '*' : token(group)}`,
    delayedStream: `${upper}_DELAYED`,
    delayedSubject: (topic) => `${prefix}-delayed.${token(topic)}`,
  };
}

/** Headers Portico sets on stored messages (the envelope itself is the JSON body). */
export const HEADERS = {
  tenant: 'Portico-Tenant',
  key: 'Portico-Key',
  /** Set on a redelivered dead letter: only this group takes it, the others skip it. */
  onlyGroup: 'Portico-Group',
  deliverAt: 'Portico-Deliver-At',
  topic: 'Portico-Topic',
} as const;

/** Key buckets of a topic: an ordered group has one consumer (one message in flight) per bucket. */
export const KEY_BUCKETS = 16;

/** The bucket of an ordering key (FNV-1a), stable across processes and releases. */
export function keyBucket(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % KEY_BUCKETS;
}
