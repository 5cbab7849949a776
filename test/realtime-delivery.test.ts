/**
 * Delivery through the bus feed, resume and resync, token expiry: a real hub and real `ws`
 * clients, with the FAKE bus and identity of test/fixtures/ws-hub-harness.ts (no bus adapter
 * on this branch yet).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { type Harness, startHarness } from './fixtures/ws-hub-harness.js';

type Frame = { type: string; [k: string]: unknown };

function client(url: string) {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  ws.on('message', (raw) => frames.push(JSON.parse(raw.toString())));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const until = async (test: (f: Frame[]) => boolean, timeoutMs = 5_000) => {
    const end = Date.now() + timeoutMs;
    while (!test(frames)) {
      if (Date.now() > end) throw new Error(`timed out; got ${JSON.stringify(frames)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const send = (value: unknown) => ws.send(JSON.stringify(value));
  return { ws, frames, closed, until, send };
}

const messages = (frames: Frame[]) => frames.filter((f) => f.type === 'message');
const publish = (h: Harness, tenantId: string, channel: string, data: unknown) =>
  h.bus.publish({ type: 'realtime.publish', tenantId, data: { channel, data } });

describe('realtime delivery (fake bus)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('delivers a bus publish to the subscribers of that tenant only', async () => {
    h = await startHarness();
    const a = client(`${h.url}?token=acme.a`);
    const b = client(`${h.url}?token=acme.b`);
    const g = client(`${h.url}?token=globex.g`);
    for (const c of [a, b, g]) {
      await c.until((f) => f.some((x) => x.type === 'authenticated'));
      c.send({ type: 'subscribe', channel: 'attendance' });
      await c.until((f) => f.some((x) => x.type === 'subscribed'));
    }
    await publish(h, 'acme', 'attendance', { child: 'c1', present: true });
    for (const c of [a, b]) await c.until((f) => messages(f).length === 1);
    const [got] = messages(a.frames);
    expect(got).toMatchObject({ channel: 'tenant:acme:attendance', data: { child: 'c1', present: true } });
    expect(typeof got?.id).toBe('string');
    expect(typeof got?.timestamp).toBe('string');
    await publish(h, 'globex', 'attendance', { child: 'g1' });
    await g.until((f) => messages(f).length === 1);
    expect(messages(a.frames)).toHaveLength(1);
    expect(h.realtime.hub.stats().connections).toEqual({ acme: 2, globex: 1 });
  });

  it('a client that reconnects with its last id gets what it missed, or resync when too old', async () => {
    h = await startHarness({ historySize: 3 });
    const first = client(`${h.url}?token=acme.a`);
    await first.until((f) => f.some((x) => x.type === 'authenticated'));
    first.send({ type: 'subscribe', channel: 'attendance' });
    await first.until((f) => f.some((x) => x.type === 'subscribed'));
    await publish(h, 'acme', 'attendance', 1);
    await first.until((f) => messages(f).length === 1);
    const lastId = messages(first.frames)[0]?.id;
    first.ws.terminate();
    await publish(h, 'acme', 'attendance', 2);
    await publish(h, 'acme', 'attendance', 3);
    const again = client(`${h.url}?token=acme.a`);
    await again.until((f) => f.some((x) => x.type === 'authenticated'));
    again.send({ type: 'subscribe', channel: 'attendance', lastId });
    await again.until((f) => messages(f).length === 2);
    expect(messages(again.frames).map((f) => f.data)).toEqual([2, 3]);
    // Three more publishes push lastId out of the ring of 3.
    for (const n of [4, 5, 6]) await publish(h, 'acme', 'attendance', n);
    const late = client(`${h.url}?token=acme.a`);
    await late.until((f) => f.some((x) => x.type === 'authenticated'));
    late.send({ type: 'subscribe', channel: 'attendance', lastId });
    await late.until((f) => f.some((x) => x.type === 'resync'));
    expect(messages(late.frames)).toHaveLength(0);
  });

  it('at token expiry asks to re-auth, keeps a socket that does, closes 4401 one that does not', async () => {
    h = await startHarness({ reauthGraceMs: 300 });
    const jwt = (sub: string, expInMs: number) =>
      `e30.${Buffer.from(JSON.stringify({ tenant: 'acme', sub, exp: (Date.now() + expInMs) / 1000 })).toString('base64url')}.x`;
    const renews = client(`${h.url}?token=${jwt('r', 300)}`);
    const lapses = client(`${h.url}?token=${jwt('l', 300)}`);
    await renews.until((f) => f.some((x) => x.type === 'reauth'));
    renews.send({ type: 'auth', token: jwt('r', 60_000) });
    expect(await lapses.closed).toBe(4401);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(renews.ws.readyState).toBe(WebSocket.OPEN);
    expect(renews.frames.filter((f) => f.type === 'authenticated')).toHaveLength(2);
    const other = client(`${h.url}?token=acme.x`);
    await other.until((f) => f.some((x) => x.type === 'authenticated'));
    other.send({ type: 'auth', token: 'globex.x' });
    expect(await other.closed).toBe(4403);
  });
});

describe('@portico/sdk/realtime client (fake bus)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });
  it('reconnects with jittered backoff and resumes from the last id it delivered', async () => {
    const { connectRealtime } = await import('@portico/sdk/realtime');
    const h = await startHarness();
    // `ws` as the WebSocket class (Node 20 has no global one); kept to cut the connection below.
    const sockets: WebSocket[] = [];
    class Recorded extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    }
    const got: unknown[] = [];
    // Full jitter at its top: the reconnect waits exactly initialMs, so the publishes below land
    // while the client is away (a jitter near 0 reconnected before the test saw it go).
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const rt = connectRealtime({
      url: h.url,
      token: 'acme.sdk',
      WebSocket: Recorded as never,
      backoff: { initialMs: 1_000, maxMs: 1_000 },
    });
    rt.subscribe('attendance', (m) => got.push(m.data));
    const until = async (test: () => boolean) => {
      const end = Date.now() + 5_000;
      while (!test()) {
        if (Date.now() > end) throw new Error(`timed out; got ${JSON.stringify(got)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await until(() => h.realtime.hub.stats().channels.some((c) => c.subscribers === 1));
    await publish(h, 'acme', 'attendance', 1);
    await until(() => got.length === 1);
    sockets[0]?.terminate();
    await until(() => h.realtime.hub.stats().channels.every((c) => c.subscribers === 0));
    await publish(h, 'acme', 'attendance', 2);
    await publish(h, 'acme', 'attendance', 3);
    await until(() => got.length === 3);
    expect(got).toEqual([1, 2, 3]);
    expect(sockets.length).toBe(2);
    rt.close();
    await h.close();
  });
});
