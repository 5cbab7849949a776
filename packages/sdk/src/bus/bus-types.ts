/**
 * The bus contract (DESIGN: bus). One port, `BusPort`, with adapters side by side in the
 * platform (embedded in the store, NATS JetStream) and a network adapter in this SDK that
 * speaks Portico's bus HTTP API. Everything here is types: the SDK is the contract, the
 * platform depends on it.
 *
 * The model is pull-based on purpose: a group's members fetch a bounded batch, so a slow
 * consumer holds at most its prefetch (backpressure), and a member that dies holds nothing the
 * ack deadline does not give back to the group.
 */

/** The seeds' message envelope, as stored and delivered. */
export interface BusMessage<T = unknown> {
  /** Unique per message; publishes with an id already seen within the dedup window are dropped. */
  id: string;
  /** The topic: a dot-separated name such as `order.verified`. */
  type: string;
  /** ISO 8601 time of the publish. */
  timestamp: string;
  /** The tenant the message belongs to; `null` for platform-wide messages. */
  tenantId: string | null;
  data: T;
  /** W3C trace context of the publisher, so the consumer's span continues its trace. */
  traceparent?: string;
  /** Ordering key: a group with `ordered: true` never runs two messages of one key at once. */
  key?: string;
}

/** What a publisher hands over; the bus fills in what is missing. */
export interface PublishInput<T = unknown> {
  type: string;
  data: T;
  /** Defaults to a random UUID; pass your own to make a retried publish idempotent. */
  id?: string;
  tenantId?: string | null;
  key?: string;
  traceparent?: string;
  /** Deliver no earlier than this many milliseconds from now (delayed message). */
  delayMs?: number;
}

/** The answer of a publish, given only once the message is durable. */
export interface PublishReceipt {
  id: string;
  /** Position in the topic, monotonic per topic; replay starts from one. */
  sequence: number;
  /** True when the id was already published within the dedup window (nothing new was stored). */
  duplicate: boolean;
}

/** Exponential backoff between deliveries of a failed message. */
export interface BackoffOptions {
  /** Delay before the 2nd delivery. Default 1000. */
  initialMs?: number;
  /** Upper bound of any delay. Default 60000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
}

/** Where a new group starts reading a topic; an existing group keeps its position. */
export type StartPosition =
  | { kind: 'new' }
  | { kind: 'all' }
  | { kind: 'sequence'; sequence: number }
  | { kind: 'time'; time: string };

/** A consumer group's settings; members of one group compete, distinct groups each get every message. */
export interface GroupOptions {
  group: string;
  /** Deliveries before a failing message goes to the dead-letter stream. Default 5. */
  maxDeliver?: number;
  backoff?: BackoffOptions;
  /** How long a fetched message stays with its member before the group may get it again. Default 30000. */
  ackWaitMs?: number;
  /** Per-key ordering: messages of one `key` are delivered one at a time, in sequence. */
  ordered?: boolean;
  /** Only messages of these tenants; absent = every tenant the caller may see. */
  tenants?: readonly string[];
  start?: StartPosition;
}

/** One delivery of a message to one member of a group. */
export interface Delivery<T = unknown> {
  message: BusMessage<T>;
  topic: string;
  sequence: number;
  /** 1 on the first delivery. */
  attempt: number;
  /** Opaque handle the consumer uses to ack or nack this delivery. */
  token: string;
}

/** A member of a group, pulling bounded batches. */
export interface BusConsumer<T = unknown> {
  /** Up to `max` deliveries; waits up to `waitMs` for the first one, then returns what it has. */
  fetch(max: number, waitMs: number): Promise<Delivery<T>[]>;
  ack(token: string): Promise<void>;
  /**
   * The delivery failed: it comes back after `delayMs` (default: the group's backoff for its
   * attempt), or goes to the dead-letter stream with `error` once `maxDeliver` is reached.
   */
  nack(token: string, options?: { delayMs?: number; error?: string }): Promise<void>;
  /** Straight to the dead-letter stream, no more attempts (a message that can never succeed). */
  reject(token: string, error: string): Promise<void>;
  /** Stops fetching; deliveries not acked return to the group. */
  close(): Promise<void>;
}

/** A message in the dead-letter stream, with why it ended there. */
export interface DeadLetter {
  /** Id of the dead-letter entry (not the message id: one message may dead-letter twice). */
  id: string;
  topic: string;
  group: string;
  message: BusMessage;
  sequence: number;
  attempts: number;
  /** The error of the last attempt. */
  error: string;
  deadAt: string;
}

/** A topic as the admin API shows it. */
export interface TopicInfo {
  topic: string;
  messages: number;
  bytes: number;
  firstSequence: number;
  lastSequence: number;
  groups: GroupInfo[];
  /** The bounds that apply to this topic (config `bus.retention` over `bus.topics`); absent = unknown. */
  retention?: RetentionOptions;
}

/** A group's position and backlog. */
export interface GroupInfo {
  group: string;
  /** Messages not yet delivered to the group. */
  pending: number;
  /** Delivered and waiting for an ack. */
  inFlight: number;
  /** Messages the group has not acked yet: `pending + inFlight` (dead letters are settled, not lag). */
  lag: number;
  deadLetters: number;
}

/** Retention of one topic: whichever bound is reached first removes the oldest messages. */
export interface RetentionOptions {
  maxAgeMs?: number;
  maxMessages?: number;
  maxBytes?: number;
}

/** Replay: read stored messages of a topic without a group. */
export interface ReadOptions {
  from: StartPosition;
  limit: number;
  tenants?: readonly string[];
}

/**
 * The bus as every component sees it.
 *
 * @example
 * ```ts
 * await bus.publish({ type: 'order.verified', tenantId: 't1', data: { orderId: 'o1' } });
 * const consumer = await bus.consumer('order.verified', { group: 'payout', maxDeliver: 5 });
 * for (const d of await consumer.fetch(10, 1000)) await consumer.ack(d.token);
 * ```
 */
export interface BusPort {
  publish<T>(input: PublishInput<T>): Promise<PublishReceipt>;
  /** Joins (creating when new) the group `options.group` on `topic`. */
  consumer<T = unknown>(topic: string, options: GroupOptions): Promise<BusConsumer<T>>;
  read(topic: string, options: ReadOptions): Promise<{ sequence: number; message: BusMessage }[]>;
  topics(): Promise<TopicInfo[]>;
  deadLetters(filter: { topic?: string; group?: string; limit: number; after?: string }): Promise<DeadLetter[]>;
  /** Puts a dead letter back to its group as a fresh delivery; false when it is gone. */
  redeliver(deadLetterId: string): Promise<boolean>;
  /** Removes dead letters (all, or of one topic/group); returns how many. */
  purgeDeadLetters(filter: { topic?: string; group?: string }): Promise<number>;
  close(): Promise<void>;
}

/** Which dead letters of a topic an admin call is about. */
export interface DeadLetterScope {
  topic: string;
  group?: string;
  /** Only entries whose message belongs to this tenant (what a tenant administrator may touch). */
  tenant?: string;
  /** One entry, by its dead-letter id. */
  id?: string;
}

/**
 * What the admin API needs of a bus besides `BusPort`: one topic's figures, dead letters scoped
 * to a tenant, redelivery and purges in bulk. Both platform adapters implement it.
 *
 * @example
 * ```ts
 * const info = await bus.topicInfo('order.verified'); // undefined: no such topic
 * await bus.redeliverDeadLetters({ topic: 'order.verified', group: 'payout' }); // how many went back
 * ```
 */
export interface BusAdminPort {
  /** One topic with its groups and retention; `undefined` when the bus has no such topic. */
  topicInfo(topic: string): Promise<TopicInfo | undefined>;
  /** Dead letters of a topic in order, paged by `after` (an entry id). */
  listDeadLetters(scope: DeadLetterScope & { limit: number; after?: string }): Promise<DeadLetter[]>;
  /** Puts the matching dead letters back to their groups; returns how many went back. */
  redeliverDeadLetters(scope: DeadLetterScope): Promise<number>;
  /** Removes the matching dead letters; returns how many. */
  removeDeadLetters(scope: DeadLetterScope): Promise<number>;
  /** Removes every stored message of a topic (groups stay, at the end); returns how many. */
  purgeTopic(topic: string): Promise<number>;
}
