/**
 * A client that stops reading is cut off with 4008 while 1,000 others keep receiving: a real
 * hub and real `ws` sockets, with the FAKE bus and identity of test/fixtures/ws-hub-harness.ts
 * (no bus adapter on this branch yet).
 */
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Harness, startHarness } from './fixtures/ws-hub-harness.js';

const OTHERS = 1_000;

function open(url: string, onMessage: (text: string) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('message', (raw) => {
      const text = raw.toString();
      if (text.includes('"subscribed"')) resolve(ws);
      onMessage(text);
    });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', channel: 'feed' })));
    ws.on('error', reject);
  });
}

describe('slow realtime client', () => {
  let h: Harness;
  const sockets: WebSocket[] = [];
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await h?.close();
  });

  it('is disconnected with 4008 while 1,000 others keep receiving', async () => {
    h = await startHarness({ maxBufferedBytes: 64 * 1024 });
    const received = new Array<number>(OTHERS).fill(0);
    for (let start = 0; start < OTHERS; start += 100) {
      const batch = [];
      for (let i = start; i < start + 100; i++) {
        batch.push(
          open(`${h.url}?token=acme.u${i}`, (t) => {
            if (t.includes('"message"')) received[i] = (received[i] ?? 0) + 1;
          }),
        );
      }
      sockets.push(...(await Promise.all(batch)));
    }
    const slow = await open(`${h.url}?token=acme.slow`, () => {});
    // The slow client also holds a bulk channel: its large frames fill the paused socket's
    // buffers without pushing gigabytes through the 1,000 others on this small machine.
    slow.send(JSON.stringify({ type: 'subscribe', channel: 'bulk' }));
    const slowClosed = new Promise<number>((resolve) => slow.on('close', (code) => resolve(code)));
    slow.pause();
    const payload = 'x'.repeat(256 * 1024);
    // Until the slow socket is cut (the kernel's loopback buffers absorb a few MB first), and at
    // least 50 rounds; bounded at 400 rounds (100 MB for the slow socket).
    let PUBLISHES = 0;
    while (PUBLISHES < 400 && (PUBLISHES < 50 || h.realtime.hub.stats().slowClientDisconnects === 0)) {
      await h.bus.publish({ type: 'realtime.publish', tenantId: 'acme', data: { channel: 'bulk', data: payload } });
      await h.bus.publish({
        type: 'realtime.publish',
        tenantId: 'acme',
        data: { channel: 'feed', data: { n: PUBLISHES } },
      });
      PUBLISHES++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The close frame waits behind the unsent data, and the hub terminates the socket 5 s after
    // it: the slow client reads again at once to see the code.
    slow.resume();
    const deadline = Date.now() + 60_000;
    while (received.some((count) => count < PUBLISHES) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(received.filter((count) => count === PUBLISHES)).toHaveLength(OTHERS);
    expect(h.realtime.hub.stats().slowClientDisconnects).toBe(1);
    expect(await slowClosed).toBe(4008);
    expect(h.realtime.hub.stats().connections).toEqual({ acme: OTHERS });
  }, 120_000);
});
