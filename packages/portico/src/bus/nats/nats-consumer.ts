/**
 * One member of a group: a durable pull consumer (explicit acks, ack_wait = the group's
 * ackWaitMs, max_ack_pending bounded) read through the raw pull API on the member's own inbox.
 * The raw API lets a fetch wait any time (the client's fetch wants ≥ 1 s) and return as soon as
 * the first messages are in; messages of the same pull that arrive later stay in the member's
 * buffer for its next fetch (they are in flight to it, so ack_wait gives them back if it dies).
 */
import { AckPolicy, DeliverPolicy, JetStreamApiError } from '@nats-io/jetstream';
import { createInbox, type Msg, nanos, type Subscription } from '@nats-io/transport-node';
import { type BusConsumer, type BusMessage, backoffDelay, type Delivery, type GroupOptions } from '@portico/sdk';
import type { NatsContext } from './context.js';
import { storeDeadLetter } from './dead-letters.js';
import { HEADERS, KEY_BUCKETS, token } from './naming.js';
import { BusNatsError } from './nats-errors.js';

interface Held {
  reply: string;
  message: BusMessage;
  sequence: number;
  attempt: number;
}

/** Creates (or joins) the durable consumer of `options.group` and returns a member of it. */
export async function openConsumer<T>(
  context: NatsContext,
  topic: string,
  options: GroupOptions,
): Promise<BusConsumer<T>> {
  const stream = await context.ensureTopic(topic);
  const durable = token(options.group);
  // Per-key ordering: keyed messages sit in one of KEY_BUCKETS subjects by their key's hash; an
  // ordered group has one consumer per bucket with max_ack_pending 1, so across all its members
  // no two messages of one key are in flight and a failing one holds back those behind it (its
  // retries come first), while other buckets go on. Unkeyed messages have their own consumer.
  const parts = options.ordered
    ? [
        { durable: `${durable}--u`, filter: context.names.subject(topic), pending: context.options.maxAckPending },
        ...Array.from({ length: KEY_BUCKETS }, (_, b) => ({
          durable: `${durable}--k${b}`,
          filter: context.names.keyedSubject(topic, b),
          pending: 1,
        })),
      ]
    : [{ durable, filter: undefined, pending: context.options.maxAckPending }];
  await Promise.all(parts.map((part) => ensureDurable(context, stream, part, options)));
  return new NatsMember<T>(
    context,
    topic,
    parts.map((part) => `$JS.API.CONSUMER.MSG.NEXT.${stream}.${part.durable}`),
    options,
  );
}

async function ensureDurable(
  context: NatsContext,
  stream: string,
  part: { durable: string; filter: string | undefined; pending: number },
  options: GroupOptions,
): Promise<void> {
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const durable = part.durable;
  try {
    await context.jsm.consumers.info(stream, durable);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== 10014) throw error;
    const start = options.start ?? { kind: 'new' };
    await context.jsm.consumers.add(stream, {
      durable_name: durable,
      // The group's own name (the durable name is its encoding), for the topic listing.
      description: options.group,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ackWaitMs),
      // Portico counts deliveries itself (dead letters with the last error); JetStream must never drop one.
      max_deliver: -1,
      max_ack_pending: part.pending,
      ...(part.filter ? { filter_subject: part.filter } : {}),
      ...(start.kind === 'new' ? { deliver_policy: DeliverPolicy.New } : {}),
      ...(start.kind === 'all' ? { deliver_policy: DeliverPolicy.All } : {}),
      ...(start.kind === 'sequence'
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.sequence }
        : {}),
      ...(start.kind === 'time' ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: start.time } : {}),
    });
  }
}

class NatsMember<T> implements BusConsumer<T> {
  readonly #context: NatsContext;
  readonly #topic: string;
  readonly #options: GroupOptions;
  /** The pull subject of each of the group's consumers (one, or one per key bucket). */
  readonly #nextSubjects: string[];
  readonly #inbox = createInbox();
  readonly #subscription: Subscription;
  /** Arrived, not yet handed out by a fetch. */
  readonly #buffer: Msg[] = [];
  /** Handed out, not yet acked/nacked: token (the reply subject) → what a nack needs. */
  readonly #held = new Map<string, Held>();
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(context: NatsContext, topic: string, nextSubjects: string[], options: GroupOptions) {
    this.#context = context;
    this.#topic = topic;
    this.#options = options;
    this.#nextSubjects = nextSubjects;
    this.#subscription = context.nc.subscribe(this.#inbox, {
      callback: (_error, msg) => {
        // Status messages (404 no messages, 408 request expired, 409 …) carry no reply subject.
        if (msg.reply) this.#buffer.push(msg);
        this.#wake?.();
      },
    });
  }

  async fetch(max: number, waitMs: number): Promise<Delivery<T>[]> {
    if (this.#closed) return [];
    const until = Date.now() + waitMs;
    const out: Delivery<T>[] = [];
    for (;;) {
      if (this.#buffer.length === 0) {
        const expires = Math.max(1, until - Date.now());
        const request = JSON.stringify({ batch: max, expires: nanos(expires) });
        for (const subject of this.#nextSubjects) this.#context.nc.publish(subject, request, { reply: this.#inbox });
        await this.#waitForMessages(until);
        // The rest of a batch follows the first message within a moment.
        if (this.#buffer.length > 0 && this.#buffer.length < max)
          await new Promise((resolve) => setTimeout(resolve, 2));
      }
      while (this.#buffer.length > 0 && out.length < max) {
        const delivery = await this.#admit(this.#buffer.shift() as Msg);
        if (delivery) out.push(delivery);
      }
      // Several consumers (key buckets) answer one fetch in any order: hand out in stream order.
      if (out.length > 0 || Date.now() >= until || this.#closed) {
        this.#count('delivered', out.length);
        return out.sort((a, b) => a.sequence - b.sequence);
      }
    }
  }

  #waitForMessages(until: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, until - Date.now()));
      const self = this;
      function done() {
        clearTimeout(timer);
        self.#wake = undefined;
        resolve();
      }
      this.#wake = () => {
        if (this.#buffer.length > 0) done();
      };
    });
  }

  /** Turns a raw delivery into a Delivery, or settles it here (other group, other tenant, too many attempts). */
  async #admit(msg: Msg): Promise<Delivery<T> | undefined> {
    const { attempt, sequence } = parseReply(msg.reply as string);
    const message = msg.json<BusMessage<T>>();
    const only = msg.headers?.get(HEADERS.onlyGroup);
    const tenants = this.#options.tenants;
    if ((only && only !== this.#options.group) || (tenants && !tenants.includes(message.tenantId ?? ''))) {
      await this.#reply(msg.reply as string, '+ACK');
      return undefined;
    }
    const maxDeliver = this.#options.maxDeliver ?? 5;
    if (attempt > maxDeliver) {
      // The member of the last attempt neither acked nor nacked (it died or overran ack_wait).
      await this.#deadLetter(
        { reply: msg.reply as string, message, sequence, attempt: attempt - 1 },
        `no answer within ackWaitMs on attempt ${attempt - 1} of ${maxDeliver} (the member stopped or was too slow)`,
      );
      return undefined;
    }
    const reply = msg.reply as string;
    this.#held.set(reply, { reply, message, sequence, attempt });
    return { message, topic: this.#topic, sequence, attempt, token: reply };
  }

  async ack(deliveryToken: string): Promise<void> {
    this.#take(deliveryToken);
    await this.#reply(deliveryToken, '+ACK');
    this.#count('acked', 1);
  }

  async nack(deliveryToken: string, options: { delayMs?: number; error?: string } = {}): Promise<void> {
    const held = this.#take(deliveryToken);
    const error = options.error ?? 'nacked';
    if (held.attempt >= (this.#options.maxDeliver ?? 5)) return this.#deadLetter(held, error);
    const delayMs = options.delayMs ?? backoffDelay(held.attempt, this.#options.backoff);
    await this.#reply(deliveryToken, `-NAK ${JSON.stringify({ delay: nanos(Math.max(0, delayMs)) })}`);
    this.#count('retried', 1);
  }

  async reject(deliveryToken: string, error: string): Promise<void> {
    await this.#deadLetter(this.#take(deliveryToken), error);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    // Everything this member holds goes back to the group now rather than after ack_wait.
    const back = [...this.#held.keys(), ...this.#buffer.map((msg) => msg.reply as string)];
    this.#held.clear();
    this.#buffer.length = 0;
    await Promise.all(back.map((reply) => this.#reply(reply, '-NAK').catch(() => {})));
    this.#subscription.unsubscribe();
  }

  async #deadLetter(held: Held, error: string): Promise<void> {
    await storeDeadLetter(this.#context, {
      topic: this.#topic,
      group: this.#options.group,
      message: held.message,
      sequence: held.sequence,
      attempts: held.attempt,
      error,
    });
    await this.#reply(held.reply, '+TERM');
    this.#count('dead', 1);
  }

  #count(outcome: 'delivered' | 'acked' | 'retried' | 'dead', n: number): void {
    this.#context.options.metrics?.settled(this.#topic, this.#options.group, outcome, n);
  }

  #take(deliveryToken: string): Held {
    const held = this.#held.get(deliveryToken);
    if (!held) throw new BusNatsError('BUS_DELIVERY_UNKNOWN', 'unknown or already settled delivery token');
    this.#held.delete(deliveryToken);
    return held;
  }

  /** Acks/naks/terms as a request: the server's answer means it has recorded it. */
  async #reply(subject: string, body: string): Promise<void> {
    try {
      await this.#context.nc.request(subject, body, { timeout: this.#context.options.requestTimeoutMs });
    } catch (error) {
      throw new BusNatsError('BUS_NATS_UNAVAILABLE', `NATS did not confirm ${body.split(' ')[0]}: ${String(error)}`, {
        cause: error,
      });
    }
  }
}

/** `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.…` (or the 12-token form with domain and account). */
function parseReply(reply: string): { attempt: number; sequence: number } {
  const tokens = reply.split('.');
  const at = tokens.length >= 12 ? 6 : 4;
  return { attempt: Number(tokens[at]), sequence: Number(tokens[at + 1]) };
}
