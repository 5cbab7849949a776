import type { Instance, RegistryChange } from '../registry-types.js';
import type { ServiceLogger } from '../serve.js';
import { InstanceView } from './instance-view.js';
import { type SseEvent, SseReader } from './sse-reader.js';

/** Settings of a {@link RegistryWatcher}. */
export interface RegistryWatcherOptions {
  logger?: ServiceLogger;
  /** First and longest wait before reconnecting a dropped watch; default 100 ms and 2 s. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * A stream silent for this long is taken for dead and reconnected; default 45 s. The registry
   * sends a keep-alive comment every 15 s, so only a half-open connection stays this quiet.
   */
  idleTimeoutMs?: number;
}

/**
 * Follows the registry's watch stream (SSE at `GET /v1/registry/watch`) over `fetch` and keeps
 * an {@link InstanceView} of it. A dropped stream reconnects with backoff and resumes from the
 * last event id; while the registry is away the view keeps what it last knew.
 *
 * @example
 * ```ts
 * const watcher = new RegistryWatcher('http://127.0.0.1:9080');
 * watcher.start();
 * await watcher.ready(2_000);
 * const instances = watcher.instances('orders');
 * watcher.stop();
 * ```
 */
export class RegistryWatcher {
  readonly view = new InstanceView();
  /** True while a stream to the registry is open. */
  connected = false;
  private started = false;
  private stopped = false;
  private lastEventId: string | undefined;
  private failures = 0;
  private abort: AbortController | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private staleSweep: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly logger: ServiceLogger;
  private readonly url: string;

  constructor(
    readonly registryUrl: string,
    private readonly options: RegistryWatcherOptions = {},
  ) {
    this.logger = options.logger ?? console;
    this.url = `${registryUrl.replace(/\/+$/, '')}/v1/registry/watch`;
  }

  /** Opens the stream; later calls do nothing. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.connect();
  }

  /** Resolves true once the first snapshot is in, false if it did not come within `timeoutMs`. */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.view.synced) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.view.synced);
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  instances(service: string): readonly Instance[] {
    return this.view.instances(service);
  }

  stop(): void {
    this.stopped = true;
    this.connected = false;
    clearTimeout(this.reconnect);
    clearInterval(this.staleSweep);
    this.abort?.abort();
    for (const waiter of [...this.waiters]) waiter();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const abort = new AbortController();
    this.abort = abort;
    const idleMs = this.options.idleTimeoutMs ?? 45_000;
    let idle = setTimeout(() => abort.abort(), idleMs);
    try {
      const response = await fetch(this.url, {
        headers: this.lastEventId
          ? { accept: 'text/event-stream', 'last-event-id': this.lastEventId }
          : { accept: 'text/event-stream' },
        signal: abort.signal,
      });
      if (response.status !== 200 || !response.body) {
        await response.body?.cancel();
        // A 400 means the registry rejects our resume point: start over from a snapshot.
        if (response.status === 400) this.lastEventId = undefined;
        throw new Error(`watch answered ${response.status}`);
      }
      this.connected = true;
      if (this.failures > 0) this.logger.info(`registry watch reconnected to ${this.registryUrl}`);
      this.failures = 0;
      const reader = new SseReader();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(idle);
        idle = setTimeout(() => abort.abort(), idleMs);
        for (const event of reader.push(chunk)) this.deliver(event);
      }
    } catch (error) {
      if (this.stopped) return;
      if (this.failures === 0) {
        this.logger.warn(`registry watch of ${this.registryUrl} lost, keeping last-known instances: ${String(error)}`);
      }
    } finally {
      clearTimeout(idle);
    }
    this.connected = false;
    if (this.stopped) return;
    this.failures++;
    const min = this.options.reconnectMinMs ?? 100;
    const max = this.options.reconnectMaxMs ?? 2_000;
    this.reconnect = setTimeout(() => void this.connect(), Math.min(max, min * 2 ** Math.min(this.failures - 1, 10)));
    this.reconnect.unref();
  }

  private deliver(event: SseEvent): void {
    let payload: { epoch?: string; revision?: number; instances?: Instance[] } & Partial<RegistryChange>;
    try {
      payload = JSON.parse(event.data);
    } catch {
      this.logger.warn(`registry watch sent an unreadable ${event.event} event; ignored`);
      return;
    }
    if (event.event === 'snapshot' && typeof payload.epoch === 'string') {
      this.view.applySnapshot(payload.epoch, payload.revision ?? 0, payload.instances ?? []);
      this.scheduleSweep();
      for (const waiter of [...this.waiters]) waiter();
    } else if (event.event === 'change' && payload.instance) {
      this.view.applyChange(payload as RegistryChange);
    } else {
      return;
    }
    if (event.id) this.lastEventId = event.id;
  }

  private scheduleSweep(): void {
    if (this.view.staleCount() === 0 || this.staleSweep !== undefined) return;
    this.staleSweep = setInterval(() => {
      if (this.view.sweep()) return;
      clearInterval(this.staleSweep);
      this.staleSweep = undefined;
    }, 250);
    this.staleSweep.unref();
  }
}
