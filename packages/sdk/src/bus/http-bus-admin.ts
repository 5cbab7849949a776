import { PorticoError } from '../errors.js';
import type { BusHttpCall } from './bus-http-call.js';
import type { BusAdminPort, DeadLetter, DeadLetterScope, TopicInfo } from './bus-types.js';

/** The most dead letters one page of the admin API returns (`limit` 1–1000). */
const MAX_PAGE = 1000;

/**
 * `BusAdminPort` over Portico's bus admin API (`/v1/bus/topics…` on the admin port, permission
 * `bus.admin`; docs/bus.md, "Admin API"), for `HttpBus`. Errors are the `PorticoError`s the API
 * answers (a bad topic name is `VALIDATION_ERROR` with `details.code: BUS_INPUT_INVALID`); a topic
 * or entry the bus does not have reads as the in-process adapters answer it: `undefined`, `[]`
 * or `0`.
 *
 * @example
 * ```ts
 * const admin = new HttpBusAdmin(busHttpCall('http://127.0.0.1:9080', { token }, 10_000));
 * const info = await admin.topicInfo('order.verified');
 * await admin.redeliverDeadLetters({ topic: 'order.verified', group: 'payout' });
 * ```
 */
export class HttpBusAdmin implements BusAdminPort {
  constructor(private readonly call: BusHttpCall) {}

  /** Every topic with its groups (`GET /v1/bus/topics`); platform principals only. */
  async topics(): Promise<TopicInfo[]> {
    return (await this.call<{ topics: TopicInfo[] }>('GET', '/v1/bus/topics')).topics;
  }

  async topicInfo(topic: string): Promise<TopicInfo | undefined> {
    return orMissing(topic, this.call<TopicInfo>('GET', topicPath(topic)), undefined);
  }

  async listDeadLetters(scope: DeadLetterScope & { limit: number; after?: string }): Promise<DeadLetter[]> {
    if (scope.id !== undefined) {
      const entry = await this.entry(scope);
      return entry ? [entry] : [];
    }
    const query = new URLSearchParams({ limit: String(Math.min(MAX_PAGE, Math.floor(scope.limit))) });
    if (scope.group !== undefined) query.set('group', scope.group);
    if (scope.tenant !== undefined) query.set('tenant', scope.tenant);
    if (scope.after !== undefined) query.set('after', scope.after);
    const page = this.call<{ items: DeadLetter[] }>('GET', `${topicPath(scope.topic)}/dead-letters?${query}`);
    return (await orMissing(scope.topic, page, { items: [] })).items;
  }

  async redeliverDeadLetters(scope: DeadLetterScope): Promise<number> {
    const reply =
      scope.id === undefined
        ? this.call<{ redelivered: number }>(
            'POST',
            `${topicPath(scope.topic)}/dead-letters/redeliver${groupQuery(scope)}`,
          )
        : this.onEntry<{ redelivered: number }>(scope, 'POST', '/redeliver');
    return (await orMissing(scope.topic, reply, { redelivered: 0 })).redelivered;
  }

  async removeDeadLetters(scope: DeadLetterScope): Promise<number> {
    const reply =
      scope.id === undefined
        ? this.call<{ purged: number }>('DELETE', `${topicPath(scope.topic)}/dead-letters${groupQuery(scope)}`)
        : this.onEntry<{ purged: number }>(scope, 'DELETE', '');
    return (await orMissing(scope.topic, reply, { purged: 0 })).purged;
  }

  async purgeTopic(topic: string): Promise<number> {
    const reply = this.call<{ purged: number }>('DELETE', `${topicPath(topic)}/messages`);
    return (await orMissing(topic, reply, { purged: 0 })).purged;
  }

  /** One entry, `undefined` when it is gone, belongs to another group, or (asked) another tenant. */
  private async entry(scope: DeadLetterScope): Promise<DeadLetter | undefined> {
    const path = `${topicPath(scope.topic)}/dead-letters/${encodeURIComponent(scope.id ?? '')}`;
    const entry = await orMissing(scope.topic, this.call<DeadLetter>('GET', path), undefined);
    if (!entry) return undefined;
    if (scope.group !== undefined && entry.group !== scope.group) return undefined;
    // The by-id routes narrow a tenant's caller to its tenant; a platform caller narrows here.
    if (scope.tenant !== undefined && entry.message.tenantId !== scope.tenant) return undefined;
    return entry;
  }

  /** Redeliver or purge one entry, once it is known to match the whole scope. */
  private async onEntry<T>(scope: DeadLetterScope, method: string, suffix: string): Promise<T> {
    const entry = await this.entry(scope);
    if (!entry)
      throw new PorticoError('NOT_FOUND', `no dead letter ${scope.id} on ${scope.topic}`, { topic: scope.topic });
    return this.call<T>(method, `${topicPath(scope.topic)}/dead-letters/${encodeURIComponent(entry.id)}${suffix}`);
  }
}

function topicPath(topic: string): string {
  return `/v1/bus/topics/${encodeURIComponent(topic)}`;
}

function groupQuery(scope: DeadLetterScope): string {
  const query = new URLSearchParams();
  if (scope.group !== undefined) query.set('group', scope.group);
  if (scope.tenant !== undefined) query.set('tenant', scope.tenant);
  const text = query.toString();
  return text ? `?${text}` : '';
}

/**
 * A `404 NOT_FOUND` about this topic (it has no such topic, or no such entry) as `missing`;
 * anything else, a 404 of a Portico whose bus has no admin API included, is thrown.
 */
async function orMissing<T>(topic: string, reply: Promise<T>, missing: T): Promise<T> {
  try {
    return await reply;
  } catch (error) {
    if (error instanceof PorticoError && error.code === 'NOT_FOUND' && aboutTopic(error.details, topic)) return missing;
    throw error;
  }
}

function aboutTopic(details: unknown, topic: string): boolean {
  return (details as { topic?: unknown } | undefined)?.topic === topic;
}
