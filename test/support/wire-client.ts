/**
 * A raw HTTP/1.1 client for the smuggling tests: it writes exactly the bytes it is given (a
 * client library would fix or refuse them), in pieces when asked, each piece only once the
 * server has read the one before (so a split really arrives split), and reads every byte the
 * server sends until it closes.
 */
import { subscribe } from 'node:diagnostics_channel';
import { connect, type Socket } from 'node:net';

/** Server-side sockets of this process's servers, by the client's port: how a split is timed. */
const accepted = new Map<number, Socket>();
subscribe('net.server.socket', (message) => {
  const { socket } = message as { socket: Socket };
  if (socket.remotePort !== undefined) accepted.set(socket.remotePort, socket);
});

/** One parsed response. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What came back on one connection. */
export interface WireExchange {
  responses: WireResponse[];
  /** How the connection ended: the server closed it, or it was still open after `timeoutMs`. */
  ended: 'closed' | 'open';
  /** Bytes after the last whole response (a truncated one). */
  rest: string;
  /** The client's own port, as the server saw it. */
  localPort: number;
}

/** Resolves once `check` holds, looking again on each turn of the event loop. */
export function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const look = () => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`still waiting for ${what}`));
      else setImmediate(look);
    };
    look();
  });
}

/**
 * Sends `parts` on one new connection to `port` and reads until the server closes it. Each part
 * after the first is written only once the server's socket has read everything before it.
 * `methods` names the request methods in order, so HEAD answers are read without a body.
 *
 * @example
 * ```ts
 * const { responses } = await exchange(port, ['GET / HTTP/1.1\r\nHost: a\r\n', '\r\n']);
 * ```
 */
export async function exchange(
  port: number,
  parts: readonly (string | Buffer)[],
  options: { methods?: readonly string[]; timeoutMs?: number } = {},
): Promise<WireExchange> {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const chunks: Buffer[] = [];
  let ended = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve) => {
    const gone = () => {
      ended = true;
      resolve();
    };
    socket.on('end', gone);
    socket.on('close', gone);
    // A reset after the server's answer (it closed with our bytes unread) counts as closed.
    socket.on('error', gone);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const localPort = socket.localPort as number;
  const server = () => accepted.get(localPort);
  let sent = 0;
  for (const part of parts) {
    if (sent > 0) {
      await until(() => ended || (server()?.bytesRead ?? 0) >= sent, `the server to read ${sent} bytes`);
    }
    if (ended) break;
    const bytes = typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
    socket.write(bytes);
    sent += bytes.length;
  }
  const timeoutMs = options.timeoutMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  socket.destroy();
  accepted.delete(localPort);
  const { responses, rest } = parseResponses(Buffer.concat(chunks), options.methods ?? []);
  return { responses, ended: ended ? 'closed' : 'open', rest, localPort };
}

/**
 * Splits a server's bytes into responses, framed as a client must (RFC 9112 §6.3): 1xx skipped,
 * no body after HEAD, 204 or 304, then chunked, Content-Length, or until the end.
 *
 * @example
 * ```ts
 * parseResponses(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'), []).responses[0]?.status; // 204
 * ```
 */
export function parseResponses(bytes: Buffer, methods: readonly string[]): { responses: WireResponse[]; rest: string } {
  const responses: WireResponse[] = [];
  let offset = 0;
  for (;;) {
    const headEnd = bytes.indexOf('\r\n\r\n', offset);
    if (headEnd === -1) break;
    const [line = '', ...lines] = bytes.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(line)?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const headerLine of lines) {
      const colon = headerLine.indexOf(':');
      headers[headerLine.slice(0, colon).trim().toLowerCase()] = headerLine.slice(colon + 1).trim();
    }
    let at = headEnd + 4;
    if (status >= 100 && status < 200) {
      offset = at;
      continue;
    }
    const method = methods[responses.length];
    let body = '';
    if (method === 'HEAD' || status === 204 || status === 304) {
      // no body
    } else if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = bytes.indexOf('\r\n', at);
        if (lineEnd === -1) return { responses, rest: bytes.subarray(offset).toString('latin1') };
        const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
        at = lineEnd + 2;
        if (size === 0) {
          const trailerEnd = bytes.indexOf('\r\n', at);
          if (trailerEnd === -1) return { responses, rest: bytes.subarray(offset).toString('latin1') };
          at = trailerEnd + 2;
          break;
        }
        parts.push(bytes.subarray(at, at + size));
        at += size + 2;
      }
      body = Buffer.concat(parts).toString('utf8');
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (bytes.length < at + length) break;
      body = bytes.subarray(at, at + length).toString('utf8');
      at += length;
    } else {
      body = bytes.subarray(at).toString('utf8');
      at = bytes.length;
    }
    responses.push({ status, headers, body });
    offset = at;
  }
  return { responses, rest: bytes.subarray(offset).toString('latin1') };
}
