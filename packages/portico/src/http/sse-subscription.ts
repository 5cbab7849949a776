import { SseReader } from '@portico/sdk';
import type { Logger } from 'pino';
import type { HttpClient } from './http-client.js';

/**
 * The longest silence before a stream counts as lost: the watch routes send a keep-alive comment
 * every 15 s, so three missed in a row.
 */
const IDLE_TIMEOUT_MS = 45_000;

/** What a stream is and what to do with it. */
export interface SseSubscriptionOptions {
  /** The stream's path on the client's origin. */
  path: string;
  /** Request headers for each (re)connection: a resume point, a credential. */
  headers: () => Record<string, string>;
  /** Called for each message; `id` is the message's event id, if it had one. */
  onMessage: (event: string, id: string | undefined, data: string) => void;
  logger: Logger;
  /** What the stream is, for the log (`registry watch`). */
  label: string;
  /** First and longest wait before reconnecting (each wait jittered down to half); default 100 ms and 2 s. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/**
 * One Server-Sent Events stream that reconnects by itself with exponential backoff, logging the
 * loss once and the recovery once. The platform's network adapters (registry, identity) watch
 * their source through it; what a message means is theirs to say.
 *
 * @example
 * ```ts
 * const stream = new SseSubscription(client, {
 *   path: '/v1/registry/watch', headers: () => ({}), label: 'registry watch', logger,
 *   onMessage: (event, id, data) => handle(event, JSON.parse(data)),
 * });
 * stream.start();
 * ```
 */
export class SseSubscription {
  connected = false;
  #stopped = false;
  #failures = 0;
  #abort: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: HttpClient,
    private readonly options: SseSubscriptionOptions,
  ) {}

  start(): void {
    void this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    this.connected = false;
    clearTimeout(this.#timer);
    this.#abort?.abort();
  }

  /** Drops the current stream and connects again at once (the source then resends what it must). */
  reconnect(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    if (this.#abort && this.connected) this.#abort.abort();
    else if (!this.connected) void this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const abort = new AbortController();
    this.#abort = abort;
    const { logger, label } = this.options;
    try {
      const reader = new SseReader();
      await this.client.stream({
        method: 'GET',
        path: this.options.path,
        headers: { accept: 'text/event-stream', ...this.options.headers() },
        signal: abort.signal,
        // The stream is quiet between changes; its keep-alive comments prove it alive.
        idleTimeoutMs: IDLE_TIMEOUT_MS,
        onResponse: (status) => {
          if (status !== 200) throw new Error(`${label} answered ${status}`);
        },
        onData: (chunk) => {
          if (!this.connected) {
            this.connected = true;
            if (this.#failures > 0) logger.info(`${label} reconnected`);
            this.#failures = 0;
          }
          for (const message of reader.push(chunk)) {
            this.options.onMessage(message.event, message.id, message.data);
          }
        },
      });
    } catch (error) {
      if (this.#stopped) return;
      // An abort asked for by reconnect() is not a failure: connect again at once.
      if (abort.signal.aborted) {
        this.connected = false;
        void this.#connect();
        return;
      }
      if (this.#failures === 0) logger.warn({ err: error }, `${label} lost; keeping the last known state`);
    }
    this.connected = false;
    if (this.#stopped) return;
    this.#failures++;
    const min = this.options.reconnectMinMs ?? 100;
    const max = this.options.reconnectMaxMs ?? 2_000;
    // Jittered (between half and all of the backoff): when a registry returns, the gateways that
    // lost it reconnect spread over the interval rather than in one burst.
    const backoff = Math.min(max, min * 2 ** Math.min(this.#failures - 1, 10));
    this.#timer = setTimeout(() => void this.#connect(), backoff / 2 + Math.random() * (backoff / 2));
    this.#timer.unref();
  }
}
