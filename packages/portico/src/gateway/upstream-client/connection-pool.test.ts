import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionPool } from './connection-pool.js';
import type { UpstreamCall, UpstreamRequest } from './upstream-connection.js';

/**
 * The client against real TCP servers on loopback that answer with exactly the bytes a test
 * chooses (a real HTTP server would not misbehave on demand).
 */
interface RawServer {
  server: Server;
  port: number;
  sockets: Socket[];
  /** Every request head and body the server read, per connection. */
  received: string[];
}

const servers: Server[] = [];
const pools: ConnectionPool[] = [];

afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
  for (const server of servers.splice(0)) {
    server.close();
  }
});

/** A server whose `answer` is called with each connection's accumulated input. */
async function rawServer(answer: (socket: Socket, input: string, server: RawServer) => void): Promise<RawServer> {
  const raw: RawServer = { server: createServer(), port: 0, sockets: [], received: [] };
  raw.server.on('connection', (socket) => {
    raw.sockets.push(socket);
    const index = raw.received.push('') - 1;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      raw.received[index] += chunk.toString('latin1');
      answer(socket, raw.received[index] as string, raw);
    });
  });
  servers.push(raw.server);
  await new Promise<void>((resolve) => raw.server.listen(0, '127.0.0.1', resolve));
  raw.port = (raw.server.address() as { port: number }).port;
  return raw;
}

/** Answers each complete request head (no body) with `response`. */
function answerEachHead(response: string) {
  let answered = new WeakMap<Socket, number>();
  return (socket: Socket, input: string) => {
    const heads = input.split('\r\n\r\n').length - 1;
    const done = answered.get(socket) ?? 0;
    for (let i = done; i < heads; i++) socket.write(response);
    answered = answered.set(socket, heads);
  };
}

interface Outcome {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  error?: { code?: string; message: string };
}

function send(
  pool: ConnectionPool,
  request: Partial<UpstreamRequest> = {},
  hooks: { onCall?: (call: UpstreamCall) => void; onData?: (call: UpstreamCall) => void } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { status: 0, headers: {}, body: '' };
    const call: UpstreamCall = pool.dispatch(
      { method: 'GET', path: '/x', headers: {}, body: null, bodyTimeoutMs: 5_000, ...request },
      {
        onResponseStart: (status, headers) => {
          outcome.status = status;
          outcome.headers = headers;
          return true;
        },
        onResponseData: (chunk) => {
          outcome.body += chunk.toString('latin1');
          hooks.onData?.(call);
        },
        onResponseEnd: (last) => {
          if (last !== undefined) outcome.body += last.toString('latin1');
          resolve(outcome);
        },
        onResponseError: (error) => {
          outcome.error = { code: (error as { code?: string }).code, message: error.message };
          resolve(outcome);
        },
      },
    );
    hooks.onCall?.(call);
  });
}

function pool(port: number, connections = 4, connectTimeoutMs = 1_000): ConnectionPool {
  const made = new ConnectionPool('127.0.0.1', port, { connections, connectTimeoutMs });
  pools.push(made);
  return made;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

describe('ConnectionPool', () => {
  it('keeps one connection alive across requests, and sends a well-formed head with the host', async () => {
    const upstream = await rawServer(answerEachHead(OK));
    const client = pool(upstream.port);
    for (let i = 0; i < 3; i++) {
      const outcome = await send(client, {
        path: `/p/${i}?q=1`,
        headers: { accept: 'text/plain', 'x-list': ['a', 'b'] },
      });
      expect(outcome).toMatchObject({ status: 200, body: 'ok' });
    }
    expect(upstream.sockets).toHaveLength(1);
    expect(upstream.received[0]).toBe(
      [0, 1, 2]
        .map(
          (i) =>
            `GET /p/${i}?q=1 HTTP/1.1\r\nhost: 127.0.0.1:${upstream.port}\r\naccept: text/plain\r\nx-list: a\r\nx-list: b\r\n\r\n`,
        )
        .join(''),
    );
  });

  it('opens at most `connections` sockets; the rest wait their turn, in order', async () => {
    const upstream = await rawServer(answerEachHead(OK));
    const client = pool(upstream.port, 2);
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => send(client, { path: `/${i}` })));
    expect(outcomes.every((outcome) => outcome.status === 200)).toBe(true);
    expect(upstream.sockets).toHaveLength(2);
    expect(client.openConnections).toBe(2);
  });

  it('streams a request body with its Content-Length, or chunked without one', async () => {
    const upstream = await rawServer((socket, input) => {
      if (input.endsWith('world') || input.endsWith('0\r\n\r\n')) socket.write(OK);
    });
    const client = pool(upstream.port, 1);
    const sized = await send(client, {
      method: 'POST',
      headers: { 'content-length': '10' },
      body: Readable.from([Buffer.from('hello'), Buffer.from('world')]),
    });
    expect(sized.status).toBe(200);
    const chunked = await send(client, {
      method: 'POST',
      body: Readable.from([Buffer.from('hello'), Buffer.from(' there')]),
    });
    expect(chunked.status).toBe(200);
    expect(upstream.received[0]).toContain('content-length: 10\r\n\r\nhelloworld');
    expect(upstream.received[0]).toContain('transfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n there\r\n0\r\n\r\n');
  });

  it('refuses a header value that would split the head, and the connection stays usable', async () => {
    const upstream = await rawServer(answerEachHead(OK));
    const client = pool(upstream.port, 1);
    const refused = await send(client, { headers: { 'x-evil': 'a\r\nGET /smuggled HTTP/1.1' } });
    expect(refused.error?.message).toMatch(/line break/);
    expect((await send(client)).status).toBe(200);
    expect(upstream.received.join('')).not.toContain('smuggled');
  });

  it('does not reuse a connection the upstream will close: Connection: close, or a short keep-alive hint', async () => {
    const upstream = await rawServer(
      answerEachHead('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'),
    );
    const client = pool(upstream.port);
    await send(client);
    await send(client);
    expect(upstream.sockets).toHaveLength(2);
    const hinted = await rawServer(
      answerEachHead('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok'),
    );
    const hintedClient = pool(hinted.port);
    await send(hintedClient);
    await send(hintedClient);
    // timeout=1 leaves no safe margin: each request gets a fresh connection.
    expect(hinted.sockets).toHaveLength(2);
  });

  it('opens a new connection when the upstream closed an idle one', async () => {
    const upstream = await rawServer((socket, input) => {
      if (input.endsWith('\r\n\r\n')) socket.end(OK);
    });
    const client = pool(upstream.port, 1);
    expect((await send(client)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await send(client)).status).toBe(200);
    expect(upstream.sockets).toHaveLength(2);
  });

  it('reports a refused connection, a cut response and a malformed one with their codes', async () => {
    const closed = await rawServer(() => {});
    const port = closed.port;
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    expect((await send(pool(port))).error?.code).toBe('ECONNREFUSED');

    const cutting = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf'));
    expect((await send(pool(cutting.port))).error?.code).toBe('PORTICO_UPSTREAM_CLOSED');

    const malformed = await rawServer((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'),
    );
    expect((await send(pool(malformed.port))).error?.code).toBe('PORTICO_BAD_RESPONSE');
  });

  it('times out a body that stops arriving, and an abort closes the connection', async () => {
    const stalling = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhal'));
    const timedOut = await send(pool(stalling.port), { bodyTimeoutMs: 100 });
    expect(timedOut).toMatchObject({ status: 200, body: 'hal', error: { code: 'PORTICO_BODY_TIMEOUT' } });

    const silent = await rawServer(() => {});
    const reason = Object.assign(new Error('gave up'), { code: 'GAVE_UP' });
    const aborted = await send(pool(silent.port), {}, { onCall: (call) => setTimeout(() => call.abort(reason), 20) });
    expect(aborted.error?.code).toBe('GAVE_UP');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(silent.sockets[0]?.destroyed || silent.sockets[0]?.readableEnded).toBe(true);
  });

  it('hands the final body piece over with the end, and streams the earlier ones as they are read', async () => {
    const upstream = await rawServer((socket, input) => {
      if (!input.endsWith('\r\n\r\n')) return;
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n');
      setTimeout(() => socket.write('4\r\nlast\r\n0\r\n\r\n'), 30);
    });
    const pieces: string[] = [];
    let last: string | undefined;
    await new Promise<void>((resolve, reject) => {
      pool(upstream.port).dispatch(
        { method: 'GET', path: '/', headers: {}, body: null, bodyTimeoutMs: 5_000 },
        {
          onResponseStart: () => true,
          // The first piece arrives before the rest is even sent: it is not held back.
          onResponseData: (chunk) => pieces.push(chunk.toString()),
          onResponseEnd: (end) => {
            last = end?.toString();
            resolve();
          },
          onResponseError: reject,
        },
      );
    });
    expect(pieces).toEqual(['first']);
    expect(last).toBe('last');
  });

  it('holds the body back while paused, and resumes', async () => {
    const big = 'x'.repeat(4 * 1024 * 1024);
    const upstream = await rawServer(answerEachHead(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n${big}`));
    let pauses = 0;
    const outcome = await send(
      pool(upstream.port),
      {},
      {
        onData: (call) => {
          // Every other chunk: pause, and resume a moment later.
          if (pauses++ % 2 === 0) {
            call.pause();
            setTimeout(() => call.resume(), 1);
          }
        },
      },
    );
    expect(outcome.body.length).toBe(big.length);
    expect(pauses).toBeGreaterThan(1);
  });

  it('fails requests still waiting when the pool closes', async () => {
    const silent = await rawServer(() => {});
    const client = pool(silent.port, 1);
    const first = send(client);
    const waiting = send(client);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.close();
    expect((await waiting).error?.code).toBe('PORTICO_POOL_CLOSED');
    expect((await send(client)).error?.code).toBe('PORTICO_POOL_CLOSED');
    for (const socket of silent.sockets) socket.destroy();
    expect((await first).error?.code).toBe('PORTICO_UPSTREAM_CLOSED');
  });
});
