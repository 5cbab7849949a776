/**
 * Issue 16, "Done when" 2, on the real path: one real Portico process (`portico start`, embedded
 * bus on PGlite), messages published with `POST /v1/bus/messages`, fetched by the hub's bus feed
 * and written to real `ws` clients. No fake bus or identity (test/fixtures/ws-hub-harness.ts is
 * not used here).
 * - a client that reconnects with its last id gets exactly what was published while it was away;
 * - a client that stops reading is cut off with 4008 while 1,000 others, in a child process,
 *   receive every message.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { adminCreator, signIn, tenantUser } from './support/admin.js';
import { postJson } from './support/http.js';
import { FIXTURES, type PorticoProc, type Proc, spawnNode, startPortico } from './support/processes.js';

const PASSWORD = 'realtime-real-bus-admin-password';
const OTHERS = 1_000;

interface Frame {
  type: string;
  id?: string;
  channel?: string;
  data?: { seq?: number } | string;
  code?: string;
}

/** A socket, subscribed to `channel` (from `lastId` when given), and every frame it got since. */
async function subscriber(url: string, channel: string, lastId?: string) {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Frame;
      frames.push(frame);
      if (frame.type === 'authenticated') ws.send(JSON.stringify({ type: 'subscribe', channel, lastId }));
      if (frame.type === 'subscribed') resolve();
    });
  });
  return { ws, frames, messages: () => frames.filter((f) => f.type === 'message') };
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('realtime on the real bus', () => {
  let portico: PorticoProc;
  let clients: Proc | undefined;
  let admin = '';
  const wsUrl: Record<string, string> = {};

  beforeAll(async () => {
    portico = await startPortico({
      PORTICO_ADMIN_PASSWORD: PASSWORD,
      // Small, so the slow client is cut after a few MB instead of the default 1 MiB + kernel buffers.
      PORTICO_REALTIME_MAX_BUFFERED_BYTES: String(64 * 1024),
    });
    admin = await signIn(portico, 'platform', 'admin', PASSWORD);
    const create = adminCreator(portico, admin);
    for (const tenant of ['acme', 'slowco']) {
      const token = await tenantUser(portico, create, tenant);
      wsUrl[tenant] = `${portico.publicUrl.replace('http', 'ws')}/ws?token=${token}`;
    }
  }, 90_000);
  afterAll(async () => {
    await clients?.stop();
    await portico?.stop();
  });

  const publish = async (tenantId: string, channel: string, data: unknown) => {
    const reply = await postJson(
      `${portico.adminUrl}/v1/bus/messages`,
      { type: 'realtime.publish', tenantId, data: { channel, data } },
      { headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` } },
    );
    expect(reply.status, reply.text).toBe(201);
    return reply.body.data.id as string;
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`${portico.adminUrl}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  };

  it('a client that reconnects with its last id recovers exactly the messages it missed', async () => {
    const first = await subscriber(wsUrl.acme as string, 'resume');
    const seen = await publish('acme', 'resume', { seq: 1 });
    await until(() => first.messages().length === 1, 'the first message');
    expect(first.messages()[0]?.id).toBe(seen);
    first.ws.close();
    await new Promise((resolve) => first.ws.once('close', resolve));

    // Published while the client is away; a watcher on the channel shows they went through.
    const watcher = await subscriber(wsUrl.acme as string, 'resume');
    const missed = [await publish('acme', 'resume', { seq: 2 }), await publish('acme', 'resume', { seq: 3 })];
    await until(() => watcher.messages().length === 2, 'the watcher to see both');

    const back = await subscriber(wsUrl.acme as string, 'resume', seen);
    await until(() => back.messages().length >= 2, 'the missed messages');
    const after = await publish('acme', 'resume', { seq: 4 });
    await until(() => back.messages().length >= 3, 'the next live message');
    // Exactly the missed ones, in order, then the live one: nothing seen before, nothing twice.
    expect(back.messages().map((m) => m.id)).toEqual([...missed, after]);
    expect(back.frames.some((f) => f.type === 'resync')).toBe(false);

    // An id the channel's history does not hold (here: a made-up one) gets resync instead.
    const stale = await subscriber(wsUrl.acme as string, 'resume', 'not-an-id-of-this-channel');
    await until(() => stale.frames.some((f) => f.type === 'resync'), 'resync');
    expect(stale.messages()).toEqual([]);
    for (const s of [watcher, back, stale]) s.ws.close();
  }, 60_000);

  it('cuts off a client that stops reading with 4008 while 1,000 others receive every message', async () => {
    clients = spawnNode([join(FIXTURES, 'realtime-clients.mjs'), wsUrl.slowco as string, String(OTHERS), 'feed']);
    await clients.waitForLine(new RegExp(`^ready ${OTHERS}$`), 90_000);
    const slow = await subscriber(wsUrl.slowco as string, 'feed');
    // Its large frames come on a channel of its own, so they fill the paused socket's buffers
    // without pushing hundreds of MB through the 1,000 others on this small machine.
    slow.ws.send(JSON.stringify({ type: 'subscribe', channel: 'bulk' }));
    await until(() => slow.frames.filter((f) => f.type === 'subscribed').length === 2, 'the bulk subscription');
    const slowClosed = new Promise<number>((resolve) => slow.ws.on('close', (code) => resolve(code)));
    const cutBefore = await metric('portico_realtime_slow_client_disconnects_total');
    slow.ws.pause();

    const bulk = 'x'.repeat(256 * 1024);
    let seq = 0;
    // Until the hub cuts it (the kernel's loopback buffers take a few MB first) and at least 20
    // rounds; bounded at 200 rounds (50 MB for the slow socket).
    while (seq < 200) {
      await publish('slowco', 'bulk', bulk);
      await publish('slowco', 'feed', { seq: ++seq });
      if (seq >= 20 && seq % 5 === 0 && (await metric('portico_realtime_slow_client_disconnects_total')) > cutBefore) {
        break;
      }
    }
    expect(await metric('portico_realtime_slow_client_disconnects_total')).toBe(cutBefore + 1);
    // The close frame waits behind what the socket had not read: reading again shows the code
    // (the hub terminates it 5 s after the close).
    slow.ws.resume();
    expect(await slowClosed).toBe(4008);

    // Every one of the 1,000 got every feed message (the fixture prints `all <seq>` for each).
    const proc = clients;
    await until(
      () => proc.lines.filter((l) => l.startsWith('all ')).length === seq,
      'all 1,000 to have every message',
      60_000,
    );
    for (let n = 1; n <= seq; n++) expect(proc.lines).toContain(`all ${n}`);
    expect(proc.lines.filter((l) => l.startsWith('close '))).toEqual([]);
    expect(await metric('portico_realtime_slow_client_disconnects_total')).toBe(cutBefore + 1);
  }, 240_000);
});
