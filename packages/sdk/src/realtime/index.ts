/**
 * `@portico/sdk/realtime`: the browser client of Portico's realtime hub (docs/realtime.md).
 * No Node-only import: it runs on the global `WebSocket` (browsers, Node 22), or on the class
 * passed as `WebSocket` (the `ws` package in Node 20).
 */

/** A message of a channel, as the hub sends it. */
export interface RealtimeMessage<T = unknown> {
  channel: string;
  id: string;
  data: T;
  timestamp: string;
}

/** The subset of the WebSocket API the client uses (the browser's, or `ws`). */
interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface RealtimeOptions {
  /** The hub's URL, e.g. `wss://api.example.com/ws`. */
  url: string;
  /** The access token or API key; a function is called on every (re)connect and on `reauth`. */
  token: string | (() => string | Promise<string>);
  /** Called when the hub no longer has what followed the last id seen: reload the channel's state. */
  onResync?: (channel: string) => void;
  /** Error frames (e.g. a refused subscription) and closes the client does not recover from. */
  onError?: (error: { code: string | number; message: string; channel?: string }) => void;
  /** The WebSocket class; default the global one. */
  WebSocket?: new (
    url: string,
  ) => SocketLike;
  /** Reconnect backoff: base and cap in ms (full jitter). Default 500 and 30000. */
  backoff?: { initialMs?: number; maxMs?: number };
}

/** Close codes after which reconnecting cannot help. */
const FINAL = new Set([4400, 4403]);

/**
 * Connects, authenticates with an `{type:"auth"}` frame, subscribes, and reconnects with
 * jittered backoff, resuming each channel from the last id it delivered.
 *
 * @example
 * ```ts
 * import { connectRealtime } from '@portico/sdk/realtime';
 * const rt = connectRealtime({ url: 'wss://api.example.com/ws', token: () => auth.accessToken });
 * rt.subscribe('attendance', (m) => render(m.data));
 * ```
 */
export function connectRealtime(options: RealtimeOptions) {
  const Socket =
    options.WebSocket ?? (globalThis as unknown as { WebSocket: new (url: string) => SocketLike }).WebSocket;
  const handlers = new Map<string, Set<(message: RealtimeMessage) => void>>();
  const lastIds = new Map<string, string>();
  let socket: SocketLike | undefined;
  let attempt = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const token = async () => (typeof options.token === 'string' ? options.token : options.token());
  const full = (channel: string, tenant: string) =>
    channel.startsWith('tenant:') ? channel : `tenant:${tenant}:${channel}`;
  const sendSubscribe = (channel: string) => {
    const lastId = lastIds.get(channel);
    socket?.send(JSON.stringify({ type: 'subscribe', channel, ...(lastId ? { lastId } : {}) }));
  };
  let tenant = '';

  const open = () => {
    const ws = new Socket(options.url);
    socket = ws;
    ws.onopen = async () => ws.send(JSON.stringify({ type: 'auth', token: await token() }));
    ws.onmessage = async (event) => {
      const frame = JSON.parse(String(event.data));
      if (frame.type === 'authenticated') {
        const first = tenant === '' || attempt > 0;
        tenant = frame.tenant;
        attempt = 0;
        if (first) for (const channel of handlers.keys()) sendSubscribe(channel);
      } else if (frame.type === 'message') {
        const short = [...handlers.keys()].find((c) => full(c, tenant) === frame.channel);
        if (short === undefined) return;
        lastIds.set(short, frame.id);
        for (const handler of handlers.get(short) ?? []) handler(frame);
      } else if (frame.type === 'resync') {
        const short = [...handlers.keys()].find((c) => full(c, tenant) === frame.channel) ?? frame.channel;
        lastIds.delete(short);
        options.onResync?.(short);
      } else if (frame.type === 'reauth') {
        ws.send(JSON.stringify({ type: 'auth', token: await token() }));
      } else if (frame.type === 'error') {
        options.onError?.(frame);
      }
    };
    ws.onclose = (event) => {
      if (socket !== ws || stopped) return;
      if (FINAL.has(event.code)) {
        options.onError?.({ code: event.code, message: event.reason });
        return;
      }
      const base = options.backoff?.initialMs ?? 500;
      const cap = options.backoff?.maxMs ?? 30_000;
      const delay = Math.random() * Math.min(cap, base * 2 ** attempt++);
      timer = setTimeout(open, delay);
    };
    ws.onerror = () => {};
  };
  open();

  return {
    /** Receives the messages of `channel` (a bare name is the caller's tenant); returns an unsubscribe. */
    subscribe<T = unknown>(channel: string, handler: (message: RealtimeMessage<T>) => void): () => void {
      let set = handlers.get(channel);
      if (set === undefined) {
        set = new Set();
        handlers.set(channel, set);
        if (tenant !== '' && socket?.readyState === 1) sendSubscribe(channel);
      }
      set.add(handler as (message: RealtimeMessage) => void);
      return () => {
        set.delete(handler as (message: RealtimeMessage) => void);
        if (set.size > 0) return;
        handlers.delete(channel);
        lastIds.delete(channel);
        if (socket?.readyState === 1) socket.send(JSON.stringify({ type: 'unsubscribe', channel }));
      };
    },
    /** Closes for good: no reconnect. */
    close(): void {
      stopped = true;
      clearTimeout(timer);
      socket?.close(1000, 'client closed');
    },
  };
}

export type RealtimeClient = ReturnType<typeof connectRealtime>;
