import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * A text message framed once for every subscriber: the JSON (kept for history and for the
 * fallback path) and the same message as WebSocket wire bytes, an unmasked final text frame
 * (RFC 6455 §5.2: a server never masks).
 */
export interface WireFrame {
  text: string;
  wire: Buffer;
}

/**
 * Frames `text` once. Writing these bytes to each socket is what `ws.send(text)` does, without
 * encoding the string, building a header, an options object and a corked two-chunk write per
 * socket: at 10,000 subscribers that per-socket work was a third of a publish's fan-out.
 *
 * @example
 * ```ts
 * const frame = wireFrame('{"type":"message"}');
 * frame.wire; // <Buffer 81 12 7b 22 74 …>
 * ```
 */
export function wireFrame(text: string): WireFrame {
  const length = Buffer.byteLength(text);
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const wire = Buffer.allocUnsafe(headerLength + length);
  wire[0] = 0x81; // FIN + opcode 1 (text)
  if (length < 126) wire[1] = length;
  else if (length < 65_536) {
    wire[1] = 126;
    wire.writeUInt16BE(length, 2);
  } else {
    wire[1] = 127;
    wire.writeBigUInt64BE(BigInt(length), 2);
  }
  wire.write(text, headerLength, 'utf8');
  return { text, wire };
}

/** The parts of a `ws` socket the direct path reads (ws 8: `lib/websocket.js`, `lib/sender.js`). */
interface WsInternals {
  _socket?: Socket;
  _sender?: { _state?: number; _queue?: unknown[] };
}

/**
 * The TCP socket under `ws` when frames may be written to it directly: no extension negotiated
 * (so no compression state to keep; the hub offers none) and the internals where ws 8 keeps
 * them. Read once per socket, after the handshake; undefined means "use `ws.send`".
 *
 * @example
 * ```ts
 * const direct = directSocket(ws);
 * ```
 */
export function directSocket(ws: WebSocket): Socket | undefined {
  const inner = ws as unknown as WsInternals;
  return ws.extensions === '' && inner._sender?._state !== undefined ? inner._socket : undefined;
}

/**
 * Sends a framed message on an open socket: its bytes straight to `direct` while the ws sender
 * is idle — then ws would write them there at once itself, so frames stay in the order they
 * were sent (the hub never sends what ws must queue: a Blob or a compressed frame) — else
 * `ws.send`.
 *
 * @example
 * ```ts
 * sendWire(ws, directSocket(ws), wireFrame(JSON.stringify(message)));
 * ```
 */
export function sendWire(ws: WebSocket, direct: Socket | undefined, frame: WireFrame): void {
  const sender = (ws as unknown as WsInternals)._sender;
  if (direct !== undefined && sender?._state === 0 && sender._queue?.length === 0) direct.write(frame.wire);
  else ws.send(frame.text);
}
