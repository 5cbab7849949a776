import type { Instance, InstanceRegistration, ServiceDetail, ServiceSummary } from '@portico/sdk';
import { PorticoError } from '@portico/sdk';
import type { Logger } from 'pino';
import { HttpClient } from '../http/http-client.js';
import { SseSubscription } from '../http/sse-subscription.js';
import type {
  PublishedJwk,
  Registered,
  RegistryPort,
  WatchEvent,
  WatchFrom,
  WatchSubscription,
} from './registry-port.js';

/** Settings of the network adapter. */
export interface HttpRegistryOptions {
  logger: Logger;
  /** Per-call time limit for registry API calls; default 5 s. */
  timeoutMs?: number;
  /** First and longest wait before reconnecting a dropped watch; default 100 ms and 2 s. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Proves to the registry that this process may publish assertion keys (the platform's `clusterSecret`). */
  assertionKeySecret?: string;
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
  private readonly client: HttpClient;
  private readonly timeoutMs: number;
  private readonly watches = new Set<WatchLoop>();

  constructor(
    readonly baseUrl: string,
    private readonly options: HttpRegistryOptions,
  ) {
    this.client = new HttpClient(baseUrl, { connections: 8 });
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

  async publishAssertionKey(jwk: PublishedJwk, ttlSeconds: number): Promise<void> {
    const secret = this.options.assertionKeySecret;
    if (!secret) {
      throw new PorticoError('AUTHENTICATION_ERROR', 'publishing assertion keys needs clusterSecret');
    }
    await this.call('PUT', `/v1/registry/assertion-keys/${encodeURIComponent(jwk.kid)}`, { jwk, ttlSeconds }, secret);
  }

  async assertionKeys(): Promise<PublishedJwk[]> {
    const response = await this.client.request({
      method: 'GET',
      path: '/v1/registry/assertion-keys',
      timeoutMs: this.timeoutMs,
    });
    const body = JSON.parse(response.body.toString('utf8')) as { keys?: PublishedJwk[] };
    return body.keys ?? [];
  }

  watch(from: WatchFrom, listener: (event: WatchEvent) => void): WatchSubscription {
    const loop = new WatchLoop(this.client, from, listener, this.options);
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
    await this.client.destroy();
  }

  /** One API call; a 404 is `data: undefined`, any other failure a `PorticoError`. */
  private async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, bearer?: string) {
    let statusCode: number;
    let payload: { success?: boolean; data?: T } | null;
    try {
      const response = await this.client.request({
        method,
        path,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: this.timeoutMs,
      });
      statusCode = response.status;
      payload = parseJson(response.body) as typeof payload;
    } catch (cause) {
      throw new PorticoError('SERVICE_UNAVAILABLE', `registry at ${this.baseUrl} is unreachable`, undefined, { cause });
    }
    if (statusCode === 404 && method !== 'POST') return { status: statusCode, data: undefined };
    if (statusCode >= 300 || payload?.success !== true) throw PorticoError.fromEnvelope(payload, statusCode);
    return { status: statusCode, data: payload.data };
  }
}

/** A body as JSON; `null` when it is not (an error page from a proxy, say). */
function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
}

/** One registry watch: resumes from its last event id after a reconnect. */
class WatchLoop {
  private lastEventId: string | undefined;
  private readonly stream: SseSubscription;

  constructor(
    client: HttpClient,
    from: WatchFrom,
    private readonly listener: (event: WatchEvent) => void,
    options: HttpRegistryOptions,
  ) {
    if (from.since !== undefined && from.epoch !== undefined) this.lastEventId = `${from.epoch}:${from.since}`;
    this.stream = new SseSubscription(client, {
      path: '/v1/registry/watch',
      headers: (): Record<string, string> => (this.lastEventId ? { 'last-event-id': this.lastEventId } : {}),
      onMessage: (event, id, data) => this.deliver(event, id, data),
      logger: options.logger,
      label: 'registry watch',
      ...(options.reconnectMinMs === undefined ? {} : { reconnectMinMs: options.reconnectMinMs }),
      ...(options.reconnectMaxMs === undefined ? {} : { reconnectMaxMs: options.reconnectMaxMs }),
    });
  }

  get connected(): boolean {
    return this.stream.connected;
  }

  start(): void {
    this.stream.start();
  }

  stop(): void {
    this.stream.stop();
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
