import type { Instance, InstanceRegistration, ServiceDetail, ServiceSummary } from '@portico/sdk';
import { PorticoError, SseReader } from '@portico/sdk';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import type { Registered, RegistryPort, WatchEvent, WatchFrom, WatchSubscription } from './registry-port.js';

/** Settings of the network adapter. */
export interface HttpRegistryOptions {
  logger: Logger;
  /** Per-call time limit for registry API calls; default 5 s. */
  timeoutMs?: number;
  /** First and longest wait before reconnecting a dropped watch; default 100 ms and 2 s. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/**
 * The registry seen through its HTTP API (DESIGN principle 1, network adapter): what a gateway
 * started with `portico start gateway` uses. Its watch reconnects by itself and resumes from the
 * last event id, so a registry outage only pauses updates: the gateway keeps routing with what
 * it last knew.
 *
 * @example
 * ```ts
 * const registry = new HttpRegistry('http://registry:9080', { logger });
 * registry.watch({}, (event) => table.apply(event));
 * ```
 */
export class HttpRegistry implements RegistryPort {
  private readonly pool: Pool;
  private readonly timeoutMs: number;
  private readonly watches = new Set<WatchLoop>();

  constructor(
    readonly baseUrl: string,
    private readonly options: HttpRegistryOptions,
  ) {
    this.pool = new Pool(baseUrl, { connections: 8 });
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  async register(registration: InstanceRegistration): Promise<Registered> {
    const { status, data } = await this.call<Instance>('POST', '/v1/registry/instances', registration);
    return { instance: data as Instance, created: status === 201 };
  }

  async heartbeat(id: string): Promise<Instance | undefined> {
    return (await this.call<Instance>('PUT', `/v1/registry/instances/${encodeURIComponent(id)}/heartbeat`)).data;
  }

  async deregister(id: string): Promise<Instance | undefined> {
    return (await this.call<Instance>('DELETE', `/v1/registry/instances/${encodeURIComponent(id)}`)).data;
  }

  async instance(id: string): Promise<Instance | undefined> {
    return (await this.call<Instance>('GET', `/v1/registry/instances/${encodeURIComponent(id)}`)).data;
  }

  async services(): Promise<ServiceSummary[]> {
    return (await this.call<ServiceSummary[]>('GET', '/v1/registry/services')).data ?? [];
  }

  async service(name: string): Promise<ServiceDetail | undefined> {
    return (await this.call<ServiceDetail>('GET', `/v1/registry/services/${encodeURIComponent(name)}`)).data;
  }

  watch(from: WatchFrom, listener: (event: WatchEvent) => void): WatchSubscription {
    const loop = new WatchLoop(this.pool, from, listener, this.options);
    this.watches.add(loop);
    loop.start();
    return {
      close: () => {
        this.watches.delete(loop);
        loop.stop();
      },
    };
  }

  watcherCount(): number {
    return this.watches.size;
  }

  /** True while every watch has a live stream to the registry. */
  connected(): boolean {
    for (const loop of this.watches) if (!loop.connected) return false;
    return true;
  }

  async close(): Promise<void> {
    for (const loop of this.watches) loop.stop();
    this.watches.clear();
    await this.pool.destroy();
  }

  /** One API call; a 404 is `data: undefined`, any other failure a `PorticoError`. */
  private async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) {
    let statusCode: number;
    let payload: { success?: boolean; data?: T } | null;
    try {
      const response = await this.pool.request({
        method,
        path,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      statusCode = response.statusCode;
      payload = (await response.body.json().catch(() => null)) as typeof payload;
    } catch (cause) {
      throw new PorticoError('SERVICE_UNAVAILABLE', `registry at ${this.baseUrl} is unreachable`, undefined, { cause });
    }
    if (statusCode === 404 && method !== 'POST') return { status: statusCode, data: undefined };
    if (statusCode >= 300 || payload?.success !== true) throw PorticoError.fromEnvelope(payload, statusCode);
    return { status: statusCode, data: payload.data };
  }
}

/** One watch stream that reconnects with backoff and resumes from its last event id. */
class WatchLoop {
  connected = false;
  private stopped = false;
  private lastEventId: string | undefined;
  private failures = 0;
  private abort: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: Pool,
    from: WatchFrom,
    private readonly listener: (event: WatchEvent) => void,
    private readonly options: HttpRegistryOptions,
  ) {
    if (from.since !== undefined && from.epoch !== undefined) this.lastEventId = `${from.epoch}:${from.since}`;
  }

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.connected = false;
    clearTimeout(this.timer);
    this.abort?.abort();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.abort = new AbortController();
    try {
      const response = await this.pool.request({
        method: 'GET',
        path: '/v1/registry/watch',
        headers: this.lastEventId ? { 'last-event-id': this.lastEventId, accept: 'text/event-stream' } : {},
        signal: this.abort.signal,
        // The stream is quiet between changes; its 15 s keep-alive comments prove it alive.
        bodyTimeout: 45_000,
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new Error(`watch answered ${response.statusCode}`);
      }
      const reader = new SseReader();
      for await (const chunk of response.body) {
        if (!this.connected) {
          this.connected = true;
          if (this.failures > 0) this.options.logger.info('registry watch reconnected');
          this.failures = 0;
        }
        for (const message of reader.push(chunk as Buffer)) this.deliver(message.event, message.id, message.data);
      }
    } catch (error) {
      if (this.stopped) return;
      if (this.failures === 0)
        this.options.logger.warn({ err: error }, 'registry watch lost; keeping last-known routes');
    }
    this.connected = false;
    if (this.stopped) return;
    this.failures++;
    const min = this.options.reconnectMinMs ?? 100;
    const max = this.options.reconnectMaxMs ?? 2_000;
    this.timer = setTimeout(() => void this.connect(), Math.min(max, min * 2 ** Math.min(this.failures - 1, 10)));
    this.timer.unref();
  }

  private deliver(event: string, id: string | undefined, data: string): void {
    const parsed = JSON.parse(data);
    if (event === 'snapshot') {
      this.listener({
        kind: 'snapshot',
        epoch: parsed.epoch,
        snapshot: { revision: parsed.revision, instances: parsed.instances },
      });
    } else if (event === 'change') {
      const { epoch, ...change } = parsed;
      this.listener({ kind: 'change', epoch, change });
    } else {
      return;
    }
    if (id) this.lastEventId = id;
  }
}
