import { type SseEvent, SseReader } from '../client/sse-reader.js';
import type { ServiceLogger } from '../serve.js';
import type { ConfigSnapshot, ConfigWatch } from './config-center-types.js';

interface WatcherOptions<T> {
  url: string;
  tenant: string;
  service: string;
  headers: () => Promise<Record<string, string>>;
  handler: (entry: ConfigSnapshot<T>) => void;
  logger: ServiceLogger;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  onClose: () => void;
}

/** A stream silent for this long is taken for dead: the server sends a comment every 15 s. */
const IDLE_MS = 45_000;

/**
 * Follows `GET /v1/config/{tenant}/_watch?service=` and hands each state of the entry to the
 * handler, in revision order, once each. A dropped stream reconnects with backoff and resumes
 * from the last revision (`?since=`), so what changed meanwhile is replayed from the store's log.
 */
export class ConfigWatcher<T> implements ConfigWatch {
  readonly ready: Promise<void>;
  connected = false;
  private markReady!: () => void;
  private latest: ConfigSnapshot<T> | undefined;
  private revision: number | undefined;
  private closed = false;
  private failures = 0;
  private abort: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WatcherOptions<T>) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  get tenant(): string {
    return this.options.tenant;
  }

  /** The entry as last seen, once the first snapshot is in. */
  current(): ConfigSnapshot<T> | undefined {
    return this.latest;
  }

  start(): void {
    void this.connect();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    clearTimeout(this.timer);
    this.abort?.abort();
    this.options.onClose();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const abort = new AbortController();
    this.abort = abort;
    let idle = setTimeout(() => abort.abort(), IDLE_MS);
    try {
      const query = new URLSearchParams({ service: this.options.service });
      if (this.revision !== undefined) query.set('since', String(this.revision));
      const response = await fetch(`${this.options.url}?${query}`, {
        headers: { accept: 'text/event-stream', ...(await this.options.headers()) },
        signal: abort.signal,
      });
      if (response.status !== 200 || !response.body) {
        const text = await response.text().catch(() => '');
        throw new Error(`config watch answered ${response.status} ${text.slice(0, 200)}`);
      }
      this.connected = true;
      if (this.failures > 0) this.options.logger.info(`config watch of ${this.options.tenant} reconnected`);
      this.failures = 0;
      const reader = new SseReader();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(idle);
        idle = setTimeout(() => abort.abort(), IDLE_MS);
        for (const event of reader.push(chunk)) this.deliver(event);
      }
    } catch (error) {
      if (this.closed) return;
      if (this.failures === 0)
        this.options.logger.warn(`config watch of ${this.options.tenant} lost: ${String(error)}`);
    } finally {
      clearTimeout(idle);
    }
    this.connected = false;
    if (this.closed) return;
    this.failures++;
    const { reconnectMinMs: min, reconnectMaxMs: max } = this.options;
    // Jittered, so the services of a restarted Portico do not all come back in the same millisecond.
    const wait = Math.min(max, min * 2 ** Math.min(this.failures - 1, 10)) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => void this.connect(), wait);
    this.timer.unref();
  }

  private deliver(event: SseEvent): void {
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(event.data);
    } catch {
      return;
    }
    const { tenant, service } = this.options;
    if (event.event === 'snapshot') {
      const revision = Number(payload.revision ?? 0);
      const entries = (payload.entries ?? []) as { service: string; revision: number; values: Partial<T> }[];
      const mine = entries.find((entry) => entry.service === service);
      this.revision = revision;
      this.emit({ tenant, service, revision: mine?.revision ?? 0, values: mine?.values ?? {}, deleted: false });
    } else if (event.event === 'change' && payload.service === service) {
      const revision = Number(payload.revision);
      if (this.revision !== undefined && revision <= this.revision) return;
      this.revision = revision;
      const deleted = payload.kind === 'deleted';
      this.emit({ tenant, service, revision, values: (deleted ? {} : payload.values) as Partial<T>, deleted });
    } else if (event.event === 'ready') {
      // Caught up: changes of other services may have moved the tenant's revision on.
      this.revision = Math.max(this.revision ?? 0, Number(payload.revision ?? 0));
      this.markReady();
    }
  }

  private emit(snapshot: ConfigSnapshot<T>): void {
    // A replayed change the handler has already seen (same entry revision) is not news.
    if (this.latest && this.latest.revision === snapshot.revision && !snapshot.deleted) return;
    this.latest = snapshot;
    try {
      this.options.handler(snapshot);
    } catch (error) {
      this.options.logger.error(`config watch handler failed: ${String(error)}`);
    }
  }
}
