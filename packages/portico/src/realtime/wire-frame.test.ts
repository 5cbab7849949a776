import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { directSocket, sendWire, wireFrame } from './wire-frame.js';

// ws exports its Sender at run time; @types/ws does not declare it.
const { Sender } = createRequire(import.meta.url)('ws') as {
  Sender: { frame(data: Buffer, options: Record<string, boolean | number>): Buffer[] };
};

/** What ws itself puts on the wire for an unmasked final text frame. */
function wsFrame(text: string): Buffer {
  const data = Buffer.from(text);
  const parts = Sender.frame(data, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false });
  return Buffer.concat(parts);
}

describe('wireFrame', () => {
  it('frames text as ws does, for each of the three length encodings and multi-byte UTF-8', () => {
    for (const text of ['', 'hi', 'x'.repeat(125), 'x'.repeat(126), 'é'.repeat(40_000), 'y'.repeat(70_000)]) {
      const frame = wireFrame(text);
      expect(frame.text).toBe(text);
      expect(frame.wire.equals(wsFrame(text))).toBe(true);
    }
  });

  it('reaches a real ws client, in order with frames sent through ws.send', async () => {
    const wss = new WebSocketServer({ noServer: true });
    const server = createServer();
    server.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws)),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const connected = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const got: string[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (raw) => {
        got.push(raw.toString());
        if (got.length === 4) resolve();
      }),
    );
    const ws = await connected;
    const direct = directSocket(ws);
    expect(direct).toBeDefined();
    ws.send('one');
    sendWire(ws, direct, wireFrame('two'));
    sendWire(ws, undefined, wireFrame('three')); // no direct socket: through ws.send
    sendWire(ws, direct, wireFrame('z'.repeat(300)));
    await all;
    expect(got).toEqual(['one', 'two', 'three', 'z'.repeat(300)]);
    client.close();
    wss.close();
    server.close();
  });
});
