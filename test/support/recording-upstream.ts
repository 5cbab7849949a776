/**
 * A recording upstream for the smuggling tests: a raw `net` server with a small strict request
 * parser of its own, so that every request boundary it finds in the bytes the gateway sent is
 * logged, whatever the gateway meant. Each request is answered with its own id and path, so a
 * caller can tell whether the response it got was made for its request. A few paths misbehave on
 * purpose (see {@link RecordingUpstream.misbehave}).
 */
import { createServer, type Server, type Socket } from 'node:net';

/** One request boundary as the upstream saw it. */
export interface SeenRequest {
  /** Which upstream connection carried it (1, 2, …). */
  connection: number;
  method: string;
  target: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * What the upstream does instead of its normal answer. `raw` writes the bytes and keeps the
 * connection; `rawThenClose` ends it after them; `thenOnNext` answers normally but writes `next`
 * ahead of the answer to the next request on the same connection (stray bytes after a complete
 * response, timed so they reach a pooled connection that already carries someone else's request);
 * `hold` answers normally once `until` settles (an answer still upstream while the caller goes on).
 */
export type Misbehaviour =
  | { kind: 'raw'; bytes: string }
  | { kind: 'rawThenClose'; bytes: string }
  | { kind: 'thenOnNext'; first: string; next: string }
  | { kind: 'hold'; until: Promise<unknown> };

/**
 * @example
 * ```ts
 * const upstream = await RecordingUpstream.start();
 * upstream.misbehave('/bad/204', { kind: 'thenOnNext', first: 'HTTP/1.1 204 No Content\r\n\r\n', next: '…' });
 * ```
 */
export class RecordingUpstream {
  readonly seen: SeenRequest[] = [];
  /** Connections that ended, by number: how a test sees the gateway discard one. */
  readonly closedConnections = new Set<number>();
  /** Bytes that were no request at all (the gateway never writes such); each fails a test. */
  readonly garbage: string[] = [];
  readonly #behaviours = new Map<string, Misbehaviour>();
  readonly #sockets = new Map<number, Socket>();
  #connections = 0;

  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<RecordingUpstream> {
    let upstream: RecordingUpstream | undefined;
    const server = createServer((socket) => upstream?.accept(socket));
    const port = await new Promise<number>((resolve) => {
      server.listen(0, '127.0.0.1', () => resolve((server.address() as import('node:net').AddressInfo).port));
    });
    upstream = new RecordingUpstream(server, port);
    return upstream;
  }

  /** Requests whose target ends with `suffix` get `behaviour` instead of the normal answer. */
  misbehave(suffix: string, behaviour: Misbehaviour): void {
    this.#behaviours.set(suffix, behaviour);
  }

  /** Writes `bytes` on connection `connection` now, unasked (bytes on an idle pooled connection). */
  write(connection: number, bytes: string): void {
    this.#sockets.get(connection)?.write(bytes, 'latin1');
  }

  /** Requests seen whose target contains `tag`. */
  seenWith(tag: string): SeenRequest[] {
    return this.seen.filter((request) => request.target.includes(tag));
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets.values()) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(socket: Socket): void {
    const connection = ++this.#connections;
    this.#sockets.set(connection, socket);
    let buffer: Buffer = Buffer.alloc(0);
    /** Written ahead of the next answer on this connection (see `thenOnNext`). */
    let armed: string | undefined;
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#sockets.delete(connection);
      this.closedConnections.add(connection);
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        let parsed: { request: Omit<SeenRequest, 'connection'>; end: number } | 'incomplete';
        try {
          parsed = parseRequest(buffer);
        } catch (error) {
          this.garbage.push(`${(error as Error).message}: ${JSON.stringify(buffer.toString('latin1'))}`);
          socket.destroy();
          return;
        }
        if (parsed === 'incomplete') return;
        buffer = buffer.subarray(parsed.end);
        const request = { connection, ...parsed.request };
        this.seen.push(request);
        if (armed !== undefined) {
          socket.write(armed, 'latin1');
          armed = undefined;
        }
        const behaviour = this.#behaviourFor(request.target);
        if (behaviour === undefined) {
          socket.write(normalAnswer(request, this.seen.length));
        } else if (behaviour.kind === 'raw') {
          socket.write(behaviour.bytes, 'latin1');
        } else if (behaviour.kind === 'hold') {
          const answer = normalAnswer(request, this.seen.length);
          void behaviour.until.then(() => socket.write(answer));
        } else if (behaviour.kind === 'rawThenClose') {
          socket.end(behaviour.bytes, 'latin1');
          return;
        } else {
          socket.write(behaviour.first, 'latin1');
          armed = behaviour.next;
        }
      }
    });
  }

  #behaviourFor(target: string): Misbehaviour | undefined {
    const path = target.split('?')[0] as string;
    for (const [suffix, behaviour] of this.#behaviours) if (path.endsWith(suffix)) return behaviour;
    return undefined;
  }
}

/** The normal answer: who asked (the gateway's request id) and for what, so a caller can check it is theirs. */
function normalAnswer(request: SeenRequest, sequence: number): string {
  const body = JSON.stringify({
    id: request.headers['x-request-id'],
    target: request.target,
    connection: request.connection,
    sequence,
    bodyBytes: request.body.length,
  });
  const head = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-upstream: recording\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  // A HEAD answer has no body; its Content-Length is the GET's.
  return request.method === 'HEAD' ? `${head}\r\n` : `${head}\r\n${body}`;
}

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.1$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n\0]*?)[ \t]*$/;

/**
 * One request from the front of `buffer`, framed as RFC 9112 §6.3 says; throws on anything that
 * is not a well-formed request, because the gateway must only ever write well-formed ones.
 */
function parseRequest(buffer: Buffer): { request: Omit<SeenRequest, 'connection'>; end: number } | 'incomplete' {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd === -1) return 'incomplete';
  const [line = '', ...lines] = buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
  const matched = REQUEST_LINE.exec(line);
  if (matched === null) throw new Error(`not a request line: ${JSON.stringify(line)}`);
  const headers: Record<string, string> = {};
  for (const headerLine of lines) {
    const header = HEADER_LINE.exec(headerLine);
    if (header === null) throw new Error(`not a header line: ${JSON.stringify(headerLine)}`);
    const name = (header[1] as string).toLowerCase();
    const value = header[2] as string;
    if (name in headers && (name === 'content-length' || name === 'transfer-encoding' || name === 'host')) {
      throw new Error(`a second ${name}`);
    }
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const request = { method: matched[1] as string, target: matched[2] as string, headers, body: '' };
  let offset = headEnd + 4;
  const encoding = headers['transfer-encoding'];
  if (encoding !== undefined) {
    if (headers['content-length'] !== undefined) throw new Error('both Transfer-Encoding and Content-Length');
    if (encoding.toLowerCase() !== 'chunked') throw new Error(`transfer-encoding ${encoding}`);
    const chunks: Buffer[] = [];
    for (;;) {
      const lineEnd = buffer.indexOf('\r\n', offset);
      if (lineEnd === -1) return 'incomplete';
      const sizeText = buffer.subarray(offset, lineEnd).toString('latin1');
      if (!/^[0-9a-f]+$/i.test(sizeText)) throw new Error(`chunk size ${JSON.stringify(sizeText)}`);
      const size = Number.parseInt(sizeText, 16);
      offset = lineEnd + 2;
      if (size === 0) {
        if (buffer.length < offset + 2) return 'incomplete';
        if (buffer.subarray(offset, offset + 2).toString('latin1') !== '\r\n') throw new Error('trailers');
        offset += 2;
        break;
      }
      if (buffer.length < offset + size + 2) return 'incomplete';
      chunks.push(buffer.subarray(offset, offset + size));
      if (buffer.subarray(offset + size, offset + size + 2).toString('latin1') !== '\r\n') {
        throw new Error('chunk not followed by CRLF');
      }
      offset += size + 2;
    }
    request.body = Buffer.concat(chunks).toString('latin1');
  } else if (headers['content-length'] !== undefined) {
    if (!/^\d+$/.test(headers['content-length'])) throw new Error('content-length');
    const length = Number(headers['content-length']);
    if (buffer.length < offset + length) return 'incomplete';
    request.body = buffer.subarray(offset, offset + length).toString('latin1');
    offset += length;
  }
  return { request, end: offset };
}
