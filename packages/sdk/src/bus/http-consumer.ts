import { PorticoError } from '../errors.js';
import type { BusHttpCall } from './bus-http-call.js';
import { isBusCode } from './bus-http-call.js';
import type { BusConsumer, Delivery, GroupOptions } from './bus-types.js';

/** What `POST /v1/bus/consumers` answers. */
interface Opened {
  id: string;
}

/**
 * A group member over the bus HTTP API (the consumer of `HttpBus`). When Portico forgot it (it was
 * idle past `bus.http.consumerIdleMs`, or Portico restarted) a fetch joins the group again once,
 * so a subscription keeps running; deliveries held by the forgotten member come back to the group
 * after their ack wait, as at-least-once allows.
 */
export class HttpConsumer<T> implements BusConsumer<T> {
  #id: string;
  #closed = false;

  constructor(
    private readonly call: BusHttpCall,
    private readonly topic: string,
    private readonly options: GroupOptions,
    id: string,
    private readonly timeoutMs: number,
    private readonly onClose: (c: HttpConsumer<T>) => void,
  ) {
    this.#id = id;
  }

  /** Joins `options.group` on `topic` over HTTP. */
  static async open<T>(
    call: BusHttpCall,
    topic: string,
    options: GroupOptions,
    timeoutMs: number,
    onClose: (c: HttpConsumer<T>) => void,
  ): Promise<HttpConsumer<T>> {
    const opened = await call<Opened>('POST', '/v1/bus/consumers', { topic, ...options });
    return new HttpConsumer<T>(call, topic, options, opened.id, timeoutMs, onClose);
  }

  async fetch(max: number, waitMs: number): Promise<Delivery<T>[]> {
    if (this.#closed) throw new PorticoError('SERVICE_UNAVAILABLE', 'the consumer is closed', { code: 'BUS_CLOSED' });
    try {
      return await this.fetchOnce(max, waitMs);
    } catch (error) {
      if (!isBusCode(error, 'BUS_CONSUMER_UNKNOWN') || this.#closed) throw error;
      const opened = await this.call<Opened>('POST', '/v1/bus/consumers', { topic: this.topic, ...this.options });
      this.#id = opened.id;
      return this.fetchOnce(max, waitMs);
    }
  }

  async ack(token: string): Promise<void> {
    await this.call('POST', `${this.path()}/ack`, { token });
  }

  async nack(token: string, options: { delayMs?: number; error?: string } = {}): Promise<void> {
    await this.call('POST', `${this.path()}/nack`, { token, ...options });
  }

  async reject(token: string, error: string): Promise<void> {
    await this.call('POST', `${this.path()}/reject`, { token, error });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose(this);
    try {
      await this.call('DELETE', this.path());
    } catch (error) {
      // Already forgotten by Portico: its deliveries went back to the group then.
      if (!isBusCode(error, 'BUS_CONSUMER_UNKNOWN')) throw error;
    }
  }

  private async fetchOnce(max: number, waitMs: number): Promise<Delivery<T>[]> {
    // The long poll lasts up to waitMs (Portico cuts it to bus.http.maxWaitMs): the request may too.
    const wait = Math.max(0, Math.floor(waitMs));
    const reply = await this.call<{ deliveries: Delivery<T>[] }>(
      'POST',
      `${this.path()}/fetch`,
      { max, waitMs: wait },
      wait + this.timeoutMs,
    );
    return reply.deliveries;
  }

  private path(): string {
    return `/v1/bus/consumers/${encodeURIComponent(this.#id)}`;
  }
}
