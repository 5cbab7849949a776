import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, HttpClientError } from './http-client.js';

/** The client against real servers on loopback, ephemeral ports. */
const servers: (Server | TcpServer)[] = [];
const clients: HttpClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.destroy();
  for (const server of servers.splice(0)) {
    if ('closeAllConnections' in server) server.closeAllConnections();
    server.close();
  }
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  bytes: Buffer;
  /** The port the request came from: one per connection. */
  remotePort: number;
}

/** A `node:http` server; `answer` runs once each request's body is read. */
async function httpServer(answer: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const one: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        bytes: Buffer.concat(chunks),
        remotePort: req.socket.remotePort ?? 0,
      };
      seen.push(one);
      answer(req, res, one);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, seen, origin: `http://127.0.0.1:${port}` };
}

/** A TCP server that reads and never answers. */
async function silentServer() {
  const sockets: Socket[] = [];
  const closed: Socket[] = [];
  const server = createTcpServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('close', () => closed.push(socket));
    socket.resume();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { sockets, closed, origin: `http://127.0.0.1:${port}` };
}

function client(origin: string, connections = 4, extra: Partial<ConstructorParameters<typeof HttpClient>[1]> = {}) {
  const created = new HttpClient(origin, { connections, ...extra });
  clients.push(created);
  return created;
}

function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error & { code?: string }) => error,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('HttpClient.request', () => {
  it('sends the method, path and headers, and reads the whole answer', async () => {
    const { origin, seen } = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-answer': 'yes' });
      res.end(JSON.stringify({ success: true, data: [1, 2, 3] }));
    });
    const response = await client(origin).request({
      method: 'GET',
      path: '/v1/registry/services?x=1',
      headers: { authorization: 'Bearer s3cret' },
      timeoutMs: 2_000,
    });
    expect(response.status).toBe(200);
    expect(response.headers['x-answer']).toBe('yes');
    expect(JSON.parse(response.body.toString())).toEqual({ success: true, data: [1, 2, 3] });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/v1/registry/services?x=1', body: '' });
    expect(seen[0]?.headers.authorization).toBe('Bearer s3cret');
    expect(seen[0]?.headers.host).toBe(origin.slice('http://'.length));
  });

  it('sends a body with its content-length, never chunked', async () => {
    const { origin, seen } = await httpServer((_req, res) => res.writeHead(201).end('{}'));
    const body = JSON.stringify({ id: 'é-1', service: 'orders' });
    const response = await client(origin).request({
      method: 'POST',
      path: '/v1/registry/instances',
      headers: { 'content-type': 'application/json' },
      body,
      timeoutMs: 2_000,
    });
    expect(response.status).toBe(201);
    expect(seen[0]?.body).toBe(body);
    expect(seen[0]?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(seen[0]?.headers['transfer-encoding']).toBeUndefined();
  });

  it('says content-length 0 for a PUT without a body, and sends a Buffer body as is', async () => {
    const { origin, seen } = await httpServer((_req, res) => res.end());
    const http = client(origin);
    await http.request({ method: 'PUT', path: '/heartbeat', timeoutMs: 2_000 });
    await http.request({ method: 'POST', path: '/bytes', body: Buffer.from([0, 1, 2, 255]), timeoutMs: 2_000 });
    expect(seen[0]?.headers['content-length']).toBe('0');
    expect(seen[1]?.bytes).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(seen[1]?.headers['content-length']).toBe('4');
  });

  it('returns any status with its body, and reuses the connection', async () => {
    const { origin, seen } = await httpServer((req, res) => {
      res.writeHead(req.url === '/missing' ? 404 : 503, { 'content-type': 'application/json' });
      res.end('{"success":false}');
    });
    const http = client(origin);
    const missing = await http.request({ method: 'GET', path: '/missing', timeoutMs: 2_000 });
    const down = await http.request({ method: 'DELETE', path: '/down', timeoutMs: 2_000 });
    expect([missing.status, down.status]).toEqual([404, 503]);
    expect(down.body.toString()).toBe('{"success":false}');
    expect(seen[0]?.remotePort).toBe(seen[1]?.remotePort);
  });

  it('bounds the whole exchange by timeoutMs', async () => {
    const { origin } = await silentServer();
    const started = Date.now();
    const error = await rejection(client(origin).request({ method: 'GET', path: '/', timeoutMs: 200 }));
    expect(error).toBeInstanceOf(HttpClientError);
    expect(error.code).toBe('PORTICO_HTTP_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('times out a body that trickles in past timeoutMs', async () => {
    const { origin } = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const tick = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(tick));
    });
    const error = await rejection(client(origin).request({ method: 'GET', path: '/', timeoutMs: 300 }));
    expect(error.code).toBe('PORTICO_HTTP_TIMEOUT');
  });

  it('fails with the system error when nothing listens', async () => {
    const { origin, server } = await httpServer(() => {});
    await new Promise((resolve) => server.close(resolve));
    const error = await rejection(client(origin).request({ method: 'GET', path: '/', timeoutMs: 2_000 }));
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('gives up when its signal aborts, before or during the exchange', async () => {
    const { origin, sockets, closed } = await silentServer();
    const http = client(origin);
    const early = new AbortController();
    early.abort(new Error('not wanted'));
    expect(
      (await rejection(http.request({ method: 'GET', path: '/', timeoutMs: 2_000, signal: early.signal }))).message,
    ).toBe('not wanted');
    expect(sockets).toHaveLength(0);

    const later = new AbortController();
    const pending = http.request({ method: 'GET', path: '/', timeoutMs: 2_000, signal: later.signal });
    await sleep(50);
    later.abort(new Error('stopped'));
    expect((await rejection(pending)).message).toBe('stopped');
    await expect.poll(() => closed.length).toBe(1);
  });

  it('fails the requests under way on destroy(), and any after it', async () => {
    const { origin } = await silentServer();
    const http = new HttpClient(origin, { connections: 1 });
    const busy = http.request({ method: 'GET', path: '/a', timeoutMs: 5_000 });
    const queued = http.request({ method: 'GET', path: '/b', timeoutMs: 5_000 });
    await sleep(30);
    await http.destroy();
    expect((await rejection(busy)).code).toBe('PORTICO_HTTP_CLOSED');
    expect((await rejection(queued)).code).toBe('PORTICO_HTTP_CLOSED');
    expect((await rejection(http.request({ method: 'GET', path: '/', timeoutMs: 1_000 }))).code).toBe(
      'PORTICO_HTTP_CLOSED',
    );
  });

  it('refuses an origin that is not http(s) or has a path', () => {
    expect(() => new HttpClient('ftp://127.0.0.1:1', { connections: 1 })).toThrow(TypeError);
    expect(() => new HttpClient('http://127.0.0.1:1/base', { connections: 1 })).toThrow(TypeError);
    expect(() => new HttpClient('http://127.0.0.1:1/', { connections: 1 }).destroy()).not.toThrow();
  });
});

/** A Server-Sent Events route: the head at once, then whatever `then` writes. */
function sse(then: (res: ServerResponse) => void) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'close' });
    res.write('retry: 1000\n\n');
    then(res);
  };
}

describe('HttpClient.stream', () => {
  it('hands each piece on as it arrives and settles when the answer ends', async () => {
    let finish: (() => void) | undefined;
    const { origin, seen } = await httpServer(
      sse((res) => {
        res.write('event: snapshot\ndata: {}\n\n');
        finish = () => res.end('event: change\ndata: {"n":1}\n\n');
      }),
    );
    const pieces: string[] = [];
    let status = 0;
    const done = client(origin).stream({
      method: 'GET',
      path: '/watch',
      headers: { accept: 'text/event-stream', 'last-event-id': 'e:4' },
      idleTimeoutMs: 2_000,
      onResponse: (code) => {
        status = code;
      },
      onData: (chunk) => pieces.push(chunk.toString()),
    });
    // The first events arrive while the stream is still open.
    await expect.poll(() => pieces.join('')).toContain('event: snapshot');
    expect(status).toBe(200);
    finish?.();
    await done;
    expect(pieces.join('')).toBe('retry: 1000\n\nevent: snapshot\ndata: {}\n\nevent: change\ndata: {"n":1}\n\n');
    expect(seen[0]?.headers['last-event-id']).toBe('e:4');
  });

  it('stays open while keep-alives come more often than idleTimeoutMs', async () => {
    const { origin } = await httpServer(
      sse((res) => {
        let sent = 0;
        const tick = setInterval(() => {
          if (++sent === 8) {
            clearInterval(tick);
            res.end();
          } else res.write(': keepalive\n\n');
        }, 60);
      }),
    );
    let pieces = 0;
    await client(origin).stream({
      method: 'GET',
      path: '/watch',
      idleTimeoutMs: 200,
      onData: () => {
        pieces++;
      },
    });
    expect(pieces).toBeGreaterThanOrEqual(7);
  });

  it('fails a stream silent for idleTimeoutMs, before the head or after it', async () => {
    const quiet = await httpServer(sse(() => {}));
    const afterHead = await rejection(
      client(quiet.origin).stream({ method: 'GET', path: '/watch', idleTimeoutMs: 200, onData: () => {} }),
    );
    expect(afterHead.code).toMatch(/^PORTICO_(HTTP|BODY)_TIMEOUT$/);

    const { origin } = await silentServer();
    const noHead = await rejection(
      client(origin).stream({ method: 'GET', path: '/watch', idleTimeoutMs: 200, onData: () => {} }),
    );
    expect(noHead.code).toBe('PORTICO_HTTP_TIMEOUT');
  });

  it('rejects with what onResponse or onData threw, without an uncaught exception', async () => {
    const { origin } = await httpServer((req, res) => {
      if (req.url === '/forbidden') res.writeHead(403).end('{"success":false}');
      else sse((open) => open.write('data: x\n\n'))(req, res);
    });
    const http = client(origin);
    const refused = await rejection(
      http.stream({
        method: 'GET',
        path: '/forbidden',
        idleTimeoutMs: 2_000,
        onResponse: (status) => {
          if (status !== 200) throw new Error(`answered ${status}`);
        },
        onData: () => {},
      }),
    );
    expect(refused.message).toBe('answered 403');
    const broken = await rejection(
      http.stream({
        method: 'GET',
        path: '/watch',
        idleTimeoutMs: 2_000,
        onData: () => {
          throw new SyntaxError('bad event');
        },
      }),
    );
    expect(broken).toBeInstanceOf(SyntaxError);
  });

  it('a throw on the final piece fails only its own stream, not the next request on that connection', async () => {
    const { origin, seen } = await httpServer((_req, res) => res.end('whole body'));
    const http = client(origin, 1);
    const broken = http.stream({
      method: 'GET',
      path: '/one',
      idleTimeoutMs: 2_000,
      onData: () => {
        throw new Error('bad piece');
      },
    });
    const next = http.request({ method: 'GET', path: '/two', timeoutMs: 2_000 });
    expect((await rejection(broken)).message).toBe('bad piece');
    expect((await next).body.toString()).toBe('whole body');
    expect(seen[0]?.remotePort).toBe(seen[1]?.remotePort);
  });

  it('closes the connection when its signal aborts', async () => {
    let closed = false;
    const { origin } = await httpServer(
      sse((res) => {
        res.on('close', () => {
          closed = true;
        });
      }),
    );
    const abort = new AbortController();
    const done = client(origin).stream({
      method: 'GET',
      path: '/watch',
      idleTimeoutMs: 5_000,
      signal: abort.signal,
      onData: () => abort.abort(new Error('stop')),
    });
    expect((await rejection(done)).message).toBe('stop');
    await expect.poll(() => closed).toBe(true);
  });
});

/** A self-signed certificate for 127.0.0.1 and localhost (openssl comes from scripts/ci-deps.sh). */
function selfSigned(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'portico-http-client-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('HttpClient over https', () => {
  const credentials = selfSigned();

  it('speaks TLS to an https origin and verifies its certificate', async () => {
    const { key, cert } = credentials;
    const server = createHttpsServer({ key, cert }, (req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => res.end(`${req.method} ${req.url} ${body}`));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };

    const trusting = client(`https://localhost:${port}`, 2, { tls: { ca: cert } });
    const response = await trusting.request({ method: 'POST', path: '/tls', body: 'hello', timeoutMs: 2_000 });
    expect(response.body.toString()).toBe('POST /tls hello');

    // Not signed by a trusted authority: refused, as any https client would.
    const wary = client(`https://localhost:${port}`, 2);
    const error = await rejection(wary.request({ method: 'GET', path: '/tls', timeoutMs: 2_000 }));
    expect(error.code).toMatch(/CERT|SELF_SIGNED/);
  });
});
