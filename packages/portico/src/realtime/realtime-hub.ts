import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { BusMessage } from '@portico/sdk';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import type { RealtimeConfig } from '../config/realtime-schema.js';
import type { IdentityView } from '../identity/identity-view.js';
import { ChannelHistory } from './channel-history.js';
import { channelFor } from './channel-name.js';
import { CLOSE_CODES } from './close-codes.js';
import { connectCredential, type SocketIdentity, verifySocketCredential } from './socket-auth.js';
import { directSocket, sendWire, type WireFrame, wireFrame } from './wire-frame.js';

/** How long a cut-off slow client has to read up to its 4008 close frame before it is terminated. */
const SLOW_CLOSE_GRACE_MS = 5_000;

/** What a hub socket carries besides the socket itself. */
interface Client {
  ws: WebSocket;
  /** The TCP socket message frames are written to directly (`wire-frame.ts`), when they may be. */
  direct: Socket | undefined;
  who: SocketIdentity | undefined;
  channels: Set<string>;
  alive: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** What the admin routes and metrics read. */
export interface HubStats {
  connections: Record<string, number>;
  channels: { channel: string; subscribers: number; history: number }[];
  delivered: number;
  slowClientDisconnects: number;
  /** Sockets closed with 4401: a bad, forged or expired credential, no auth in time, or no re-auth. */
  authFailures: number;
}

/**
 * The realtime hub: authenticated WebSockets subscribed to tenant-scoped channels, fed by
 * `deliver` (the bus feed calls it for each message of the realtime topic). A message is
 * serialized and framed once, and the same bytes are written to every subscriber.
 *
 * @example
 * ```ts
 * const hub = new RealtimeHub(config.realtime, identityView, logger);
 * nodeHttpServer.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
 * hub.deliver({ id: 'm1', type: 'realtime.publish', tenantId: 'acme', timestamp, data: { channel: 'attendance', data: {} } });
 * ```
 */
export class RealtimeHub {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  readonly #clients = new Set<Client>();
  readonly #subscribers = new Map<string, Set<Client>>();
  readonly #history = new Map<string, ChannelHistory>();
  readonly #ping: NodeJS.Timeout;
  #delivered = 0;
  #slow = 0;
  #authFailures = 0;

  constructor(
    readonly config: RealtimeConfig,
    readonly identity: IdentityView | undefined,
    readonly logger: Logger,
  ) {
    this.#ping = setInterval(() => this.#pingAll(), config.pingIntervalMs);
    this.#ping.unref();
  }

  /** True when the upgrade's path is the hub's. */
  serves(url: string | undefined): boolean {
    const path = (url ?? '').split('?')[0];
    return path === this.config.path;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#open(ws, req));
  }

  /** Delivers a bus message `{ channel, data }` of tenant `tenantId` to its channel's sockets. */
  deliver(message: BusMessage): void {
    const body = message.data as { channel?: unknown; data?: unknown } | null;
    if (message.tenantId === null || typeof body?.channel !== 'string') {
      this.logger.warn({ id: message.id }, 'realtime message without tenant or channel dropped');
      return;
    }
    const channel = `tenant:${message.tenantId}:${body.channel}`;
    const text = JSON.stringify({
      type: 'message',
      channel,
      id: message.id,
      data: body.data ?? null,
      timestamp: message.timestamp,
    });
    this.#historyOf(channel).push({ id: message.id, frame: text });
    const subscribers = this.#subscribers.get(channel);
    if (subscribers === undefined) return;
    const frame = wireFrame(text);
    for (const client of subscribers) this.#send(client, frame);
  }

  stats(): HubStats {
    const connections: Record<string, number> = {};
    for (const client of this.#clients) {
      const tenant = client.who?.principal.tenant ?? '(unauthenticated)';
      connections[tenant] = (connections[tenant] ?? 0) + 1;
    }
    const channels = [...this.#subscribers].map(([channel, set]) => ({
      channel,
      subscribers: set.size,
      history: this.#history.get(channel)?.size ?? 0,
    }));
    return {
      connections,
      channels,
      delivered: this.#delivered,
      slowClientDisconnects: this.#slow,
      authFailures: this.#authFailures,
    };
  }

  /** Closes every socket with 1001 (reconnect elsewhere). */
  close(): void {
    clearInterval(this.#ping);
    for (const client of this.#clients) client.ws.close(CLOSE_CODES.GOING_AWAY, 'gateway shutting down');
    this.#wss.close();
  }

  #open(ws: WebSocket, req: IncomingMessage): void {
    const client: Client = {
      ws,
      direct: directSocket(ws),
      who: undefined,
      channels: new Set(),
      alive: true,
      timer: undefined,
    };
    this.#clients.add(client);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('close', () => this.#forget(client));
    ws.on('error', () => ws.terminate());
    ws.on('message', (raw, binary) => this.#onFrame(client, binary ? undefined : raw.toString()));
    const credential = connectCredential(req);
    if (credential !== undefined) {
      void this.#authenticate(client, credential);
      return;
    }
    client.timer = setTimeout(() => {
      if (client.who === undefined) this.#refuse(client, 'no auth message before the deadline');
    }, this.config.authDeadlineMs);
  }

  async #authenticate(client: Client, credential: string): Promise<void> {
    const who = this.identity ? await verifySocketCredential(this.identity, credential) : undefined;
    if (client.ws.readyState !== client.ws.OPEN) return;
    if (who === undefined) {
      this.#refuse(client, 'the token or API key is invalid or expired');
      return;
    }
    if (client.who !== undefined && client.who.principal.tenant !== who.principal.tenant) {
      client.ws.close(CLOSE_CODES.FORBIDDEN, 're-authentication must stay in the same tenant');
      return;
    }
    client.who = who;
    clearTimeout(client.timer);
    client.timer = undefined;
    if (who.expiresAt !== undefined) this.#armExpiry(client, who.expiresAt);
    const { tenant, subject } = who.principal;
    this.#sendFrame(client, { type: 'authenticated', tenant, subject, expiresAt: who.expiresAt ?? null });
  }

  /** At expiry: a `reauth` frame, then 4401 unless a fresh token arrives within the grace. */
  #armExpiry(client: Client, expiresAt: number): void {
    const timer = setTimeout(
      () => {
        if (client.who?.expiresAt !== expiresAt) return;
        this.#sendFrame(client, { type: 'reauth', graceMs: this.config.reauthGraceMs });
        client.timer = setTimeout(() => {
          if (client.who?.expiresAt === expiresAt) this.#refuse(client, 'token expired');
        }, this.config.reauthGraceMs);
      },
      Math.max(0, expiresAt - Date.now()),
    );
    clearTimeout(client.timer);
    client.timer = timer;
  }

  #onFrame(client: Client, text: string | undefined): void {
    let frame: { type?: unknown; token?: unknown; channel?: unknown; lastId?: unknown };
    try {
      frame = text === undefined ? {} : JSON.parse(text);
    } catch {
      frame = {};
    }
    if (frame.type === 'auth') {
      if (typeof frame.token !== 'string') {
        this.#refuse(client, 'auth needs a token');
        return;
      }
      void this.#authenticate(client, frame.token);
      return;
    }
    if (client.who === undefined) {
      this.#refuse(client, 'the first message must be {type:"auth", token}');
      return;
    }
    if (frame.type === 'subscribe') this.#subscribe(client, frame.channel, frame.lastId);
    else if (frame.type === 'unsubscribe') this.#unsubscribe(client, frame.channel);
    else if (frame.type === 'ping') this.#sendFrame(client, { type: 'pong' });
    else client.ws.close(CLOSE_CODES.PROTOCOL_ERROR, 'unknown or malformed frame');
  }

  #subscribe(client: Client, asked: unknown, lastId: unknown): void {
    const who = client.who as SocketIdentity;
    const channel = channelFor(asked, who.principal, this.config.subscribePermission);
    if (typeof channel !== 'string') {
      this.#sendFrame(client, { type: 'error', channel: asked, ...channel });
      return;
    }
    if (!client.channels.has(channel) && client.channels.size >= this.config.maxChannelsPerSocket) {
      this.#sendFrame(client, {
        type: 'error',
        channel,
        code: 'VALIDATION_ERROR',
        message: `at most ${this.config.maxChannelsPerSocket} channels per socket`,
      });
      return;
    }
    client.channels.add(channel);
    let set = this.#subscribers.get(channel);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(channel, set);
    }
    set.add(client);
    this.#sendFrame(client, { type: 'subscribed', channel });
    if (typeof lastId !== 'string') return;
    const missed = this.#history.get(channel)?.after(lastId);
    if (missed === undefined) this.#sendFrame(client, { type: 'resync', channel });
    else for (const entry of missed) this.#send(client, entry.frame);
  }

  #unsubscribe(client: Client, asked: unknown): void {
    const channel = client.who ? channelFor(asked, client.who.principal, '') : undefined;
    if (typeof channel !== 'string') return;
    client.channels.delete(channel);
    this.#leave(client, channel);
    this.#sendFrame(client, { type: 'unsubscribed', channel });
  }

  /** Closes with 4401 and counts it (`portico_realtime_auth_failures_total`). */
  #refuse(client: Client, reason: string): void {
    this.#authFailures++;
    client.ws.close(CLOSE_CODES.UNAUTHENTICATED, reason);
  }

  /** A message frame: framed once for every subscriber, or a history entry's JSON on resume. */
  #send(client: Client, frame: WireFrame | string): void {
    const { ws } = client;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.config.maxBufferedBytes) {
      this.#slow++;
      this.#forget(client);
      ws.close(CLOSE_CODES.SLOW_CLIENT, 'slow client: too much unsent data');
      // The close frame waits behind the unsent data: a client that reads again within the grace
      // sees 4008, one that stopped for good is terminated (1006). Nothing more is queued meanwhile.
      setTimeout(() => ws.terminate(), SLOW_CLOSE_GRACE_MS).unref();
      return;
    }
    if (typeof frame === 'string') ws.send(frame);
    else sendWire(ws, client.direct, frame);
    this.#delivered++;
  }

  #sendFrame(client: Client, frame: object): void {
    if (client.ws.readyState === client.ws.OPEN) client.ws.send(JSON.stringify(frame));
  }

  #pingAll(): void {
    for (const client of this.#clients) {
      if (!client.alive) {
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }

  #historyOf(channel: string): ChannelHistory {
    let history = this.#history.get(channel);
    if (history === undefined) {
      history = new ChannelHistory(this.config.historySize);
      this.#history.set(channel, history);
    }
    return history;
  }

  #leave(client: Client, channel: string): void {
    const set = this.#subscribers.get(channel);
    set?.delete(client);
    if (set?.size === 0) this.#subscribers.delete(channel);
  }

  #forget(client: Client): void {
    if (!this.#clients.delete(client)) return;
    clearTimeout(client.timer);
    for (const channel of client.channels) this.#leave(client, channel);
  }
}
