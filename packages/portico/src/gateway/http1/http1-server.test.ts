import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Http1Request, Http1Response } from './http1-response.js';
import { Http1Server } from './http1-server.js';

/**
 * The gateway's own HTTP/1.1 server on a real loopback port, driven by raw bytes over a real
 * socket (a client library would hide the framing these tests are about), with a real node:http
 * server taking the connections it hands over.
 */
interface Harness {
  port: number;
  server: Http1Server;
  /** Every answer the server reported complete or abandoned. */
  closed: Http1Response[];
  /** The requests node:http served after a hand-over, as "METHOD url body". */
  handedOver: string[];
}

const started: Http1Server[] = [];
const clients: Socket[] = [];

afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of started.splice(0)) {
    server.close();
    server.closeAll();
  }
});

async function start(
  serve: (req: Http1Request, res: Http1Response) => boolean,
  options: { keepAliveTimeoutSeconds?: number; headersTimeoutMs?: number; maxHeaderBytes?: number } = {},
): Promise<Harness> {
  const handedOver: string[] = [];
  const fallback: HttpServer = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('latin1');
    });
    req.on('end', () => {
      handedOver.push(`${req.method} ${req.url} ${body}`);
      res.end(`node:${req.method}:${body}`);
    });
  });
  const closed: Http1Response[] = [];
  const server = new Http1Server({
    maxHeaderBytes: options.maxHeaderBytes ?? 16 * 1024,
    keepAliveTimeoutSeconds: options.keepAliveTimeoutSeconds ?? 30,
    headersTimeoutMs: options.headersTimeoutMs ?? 60_000,
    serve,
    closed: (res) => closed.push(res),
    fallback,
  });
  started.push(server);
  await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return { port: address.port, server, closed, handedOver };
}

/** Sends `input` (all at once, or piece by piece) and reads until the server closes or `until` holds. */
async function exchange(
  port: number,
  input: string | string[],
  until: (received: string) => boolean = () => false,
  timeoutMs = 2_000,
): Promise<{ received: string; closed: boolean }> {
  const socket = connect(port, '127.0.0.1');
  clients.push(socket);
  let received = '';
  let closed = false;
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (until(received)) {
        clearTimeout(timer);
        resolve();
      }
    });
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', () => {});
  });
  for (const piece of Array.isArray(input) ? input : [input]) {
    socket.write(piece, 'latin1');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await done;
  return { received, closed };
}

const count = (text: string, part: string) => text.split(part).length - 1;

/** Answers `ok` with a length, or the request's url as the body. */
const echo = (req: Http1Request, res: Http1Response) => {
  const body = `${req.method} ${req.url}`;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
  return true;
};

describe('Http1Server', () => {
  it('answers keep-alive requests on one connection, pipelined ones in order', async () => {
    const { port, closed } = await start(echo);
    const requests = ['/a', '/b', '/c'].map((path) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const { received, closed: socketClosed } = await exchange(port, requests, (r) => count(r, 'HTTP/1.1 200') === 3);
    expect(socketClosed).toBe(false);
    expect(received.match(/GET \/[abc]$|GET \/[abc](?=HTTP)/g)).toEqual(['GET /a', 'GET /b', 'GET /c']);
    expect(count(received, 'connection: keep-alive\r\nkeep-alive: timeout=30\r\n')).toBe(3);
    expect(received).toMatch(/\r\ndate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
    expect(closed.map((res) => res.writableFinished)).toEqual([true, true, true]);
  });

  it('reads a head that arrives a byte at a time', async () => {
    const { port } = await start(echo);
    const { received } = await exchange(port, [...'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n'], (r) => r.endsWith('/slow'));
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*GET \/slow$/);
  });

  it('closes after the answer when the caller asks, or speaks HTTP/1.0 without keep-alive', async () => {
    const { port } = await start(echo);
    const close = await exchange(port, 'GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(close.closed).toBe(true);
    expect(close.received).toContain('\r\nconnection: close\r\n');
    const old = await exchange(port, 'GET /b HTTP/1.0\r\n\r\n');
    expect(old.closed).toBe(true);
    expect(old.received).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close\r\n\r\nGET \/b$/);
    const oldKept = await exchange(port, 'GET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', (r) => r.endsWith('/c'));
    expect(oldKept.closed).toBe(false);
    expect(oldKept.received).toContain('\r\nconnection: keep-alive\r\n');
  });

  it('frames a body without a length as chunks in HTTP/1.1 and by closing in HTTP/1.0', async () => {
    const { port } = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('hello ');
      res.write(Buffer.from('world'));
      res.end();
      return true;
    });
    const chunked = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', (r) => r.endsWith('0\r\n\r\n'));
    expect(chunked.received).toContain('transfer-encoding: chunked\r\n');
    expect(chunked.received.split('\r\n\r\n').slice(1).join('\r\n\r\n')).toBe('6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n');
    const closeDelimited = await exchange(port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    expect(closeDelimited.closed).toBe(true);
    expect(closeDelimited.received).not.toContain('transfer-encoding');
    expect(closeDelimited.received).toMatch(/connection: close\r\n\r\nhello world$/);
  });

  it('sends no body for HEAD, 204 and 304, and keeps the connection', async () => {
    const { port } = await start((req, res) => {
      const status = req.url === '/204' ? 204 : req.url === '/304' ? 304 : 200;
      res.writeHead(status, { 'content-length': '5' });
      res.end('hello');
      return true;
    });
    const input =
      'HEAD /200 HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\nGET /200 HTTP/1.1\r\nHost: x\r\n\r\n';
    const { received, closed } = await exchange(port, input, (r) => r.endsWith('hello'));
    expect(closed).toBe(false);
    expect(count(received, 'hello')).toBe(1);
    expect(received.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 204', 'HTTP/1.1 304', 'HTTP/1.1 200']);
  });

  it('gives end() a length when the head was not written, and honours setHeader', async () => {
    const { port } = await start((_req, res) => {
      res.setHeader('X-Extra', 'yes');
      res.statusCode = 201;
      res.end('{"ünïcode":true}');
      return true;
    });
    const { received } = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', (r) => r.endsWith('}'));
    expect(received).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(received).toContain('x-extra: yes\r\n');
    expect(received).toContain(`content-length: ${Buffer.byteLength('{"ünïcode":true}')}\r\n`);
    expect(Buffer.from(received, 'latin1').toString('utf8')).toContain('{"ünïcode":true}');
  });

  it('refuses a header value that would split the head, before anything is written', async () => {
    let thrown: unknown;
    const { port } = await start((_req, res) => {
      try {
        res.writeHead(200, { 'x-bad': 'a\r\nset-cookie: evil=1' });
      } catch (error) {
        thrown = error;
        res.writeHead(500, { 'content-length': '0' });
        res.end();
      }
      return true;
    });
    const { received } = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', (r) => r.includes('\r\n\r\n'));
    expect(thrown).toBeInstanceOf(TypeError);
    expect(received).toMatch(/^HTTP\/1\.1 500 /);
    expect(received).not.toContain('evil');
  });

  it('hands a request with a body to node:http, with the requests before it served here', async () => {
    const { port, handedOver } = await start(echo);
    const input = [
      'GET /first HTTP/1.1\r\nHost: x\r\n\r\nPOST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab',
      'cdef',
      'GET /after HTTP/1.1\r\nHost: x\r\n\r\n',
    ];
    const { received } = await exchange(port, input, (r) => r.endsWith('node:GET:'));
    expect(received).toMatch(/GET \/first[\s\S]*node:POST:abcdef[\s\S]*node:GET:$/);
    expect(handedOver).toEqual(['POST /upload abcdef', 'GET /after ']);
  });

  it('hands over chunked bodies, upgrades, Expect and the requests serve() declines', async () => {
    const { port, handedOver } = await start((req, res) => (req.url === '/mine' ? echo(req, res) : false));
    await exchange(
      port,
      'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      (r) => r.endsWith('node:POST:abc'),
    );
    await exchange(port, 'GET /declined HTTP/1.1\r\nHost: x\r\n\r\n', (r) => r.endsWith('node:GET:'));
    await exchange(port, 'PUT /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi', (r) =>
      r.endsWith('node:PUT:hi'),
    );
    expect(handedOver).toEqual(['POST /c abc', 'GET /declined ', 'PUT /e hi']);
  });

  it('answers a malformed head with the 400 envelope and closes; an oversized one with 431', async () => {
    const { port } = await start(echo, { maxHeaderBytes: 1024 });
    const smuggle = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expect(smuggle.closed).toBe(true);
    expect(smuggle.received).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*"code":"VALIDATION_ERROR"/);
    const huge = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`);
    expect(huge.closed).toBe(true);
    expect(huge.received).toMatch(/^HTTP\/1\.1 431 [\s\S]*"code":"HEADERS_TOO_LARGE"/);
    const version = await exchange(port, 'GET / HTTP/2.0\r\nHost: x\r\n\r\n');
    expect(version.received).toMatch(/^HTTP\/1\.1 505 /);
  });

  it('tells the answer of a caller that left mid-way, and closes idle connections after the keep-alive timeout', async () => {
    let held: Http1Response | undefined;
    const { port, closed } = await start(
      (_req, res) => {
        held = res;
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        return true;
      },
      { keepAliveTimeoutSeconds: 1 },
    );
    const socket = connect(port, '127.0.0.1');
    clients.push(socket);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toHaveLength(1);
    expect(closed[0]).toBe(held);
    expect(held?.destroyed).toBe(true);
    expect(held?.writableFinished).toBe(false);

    const idle = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', () => false, 3_000);
    // The answer under way is not cut by the caller's silence; the connection is only closed once idle.
    expect(idle.received).toContain('partial');
    expect(idle.closed).toBe(false);
  });

  it('closes an idle connection after the keep-alive timeout', async () => {
    const { port } = await start(echo, { keepAliveTimeoutSeconds: 1 });
    const started = Date.now();
    const { received, closed } = await exchange(port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\n', () => false, 3_000);
    expect(received).toContain('GET /a');
    expect(closed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('answers 408 to a head that trickles in past the headers timeout', async () => {
    const { port } = await start(echo, { headersTimeoutMs: 200 });
    const pieces = ['GET / HTTP/1.1\r\n', ...Array.from({ length: 30 }, (_, i) => `X-${i}: y\r\n`)];
    const slow = pieces.map((piece) => piece);
    const socket = connect(port, '127.0.0.1');
    clients.push(socket);
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    for (const piece of slow) {
      if (socket.destroyed) break;
      socket.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('says connection: close once closing, and ends idle connections at once', async () => {
    let release: (() => void) | undefined;
    const { port, server } = await start((req, res) => {
      if (req.url === '/wait') {
        release = () => echo(req, res);
        return true;
      }
      return echo(req, res);
    });
    const idle = connect(port, '127.0.0.1');
    clients.push(idle);
    await new Promise<void>((resolve) => idle.once('connect', resolve));
    const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    const busy = exchange(port, 'GET /wait HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.close();
    await idleClosed;
    release?.();
    const { received, closed } = await busy;
    expect(received).toContain('connection: close\r\n');
    expect(received).toMatch(/GET \/wait$/);
    expect(closed).toBe(true);
  });

  it('waits for the socket to drain when the caller reads slowly', async () => {
    const piece = Buffer.alloc(256 * 1024, 97);
    const { port } = await start((_req, res) => {
      res.writeHead(200, { 'content-length': String(piece.length * 40) });
      let sent = 0;
      const pump = () => {
        while (sent < 40) {
          sent++;
          if (!res.write(piece)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return true;
    });
    const socket = connect(port, '127.0.0.1');
    clients.push(socket);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    let bytes = 0;
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk) => {
        bytes += chunk.length;
        if (bytes >= piece.length * 40) resolve();
      });
    });
    expect(bytes).toBeGreaterThanOrEqual(piece.length * 40);
  });
});
