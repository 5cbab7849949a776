/**
 * Bad input against one real Portico process: every malformed, mistyped, oversized or unknown
 * thing a caller can send is answered with a 4xx envelope carrying a stable code and a request
 * id, and nothing of it hurts the process.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, rawRequest, request } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

/** What every answer is reduced to, whichever client sent the request. */
interface Answer {
  status: number;
  requestId: string | undefined;
  body: Json;
  text: string;
}

interface Expected {
  status: number;
  code: string;
  /** A validation error must name this field in `error.details`. */
  field?: string;
  /** The request id the caller sent, which must come back. */
  requestId?: string;
}

const TEN_MB = 10 * 1024 * 1024;
const REGISTRATION = { service: 'probe', host: '127.0.0.1', port: 5000 };
const JSON_TYPE = { 'content-type': 'application/json' };

let sequence = 0;
/** A fresh caller request id, so each case also checks that the id comes back. */
const nextId = () => `bad-input-${++sequence}`;

function expectError(answer: Answer, expected: Expected): void {
  const context = `HTTP ${answer.status}: ${answer.text.slice(0, 600)}`;
  expect(answer.status, context).toBe(expected.status);
  expect(answer.body?.success, context).toBe(false);
  expect(answer.body.error?.code, context).toBe(expected.code);
  expect(typeof answer.body.error.message, context).toBe('string');
  expect(answer.requestId ?? '(no x-request-id header)', context).toMatch(/^[\x21-\x7e]{1,200}$/);
  expect(answer.body.meta?.requestId, context).toBe(answer.requestId);
  if (expected.requestId !== undefined) expect(answer.requestId, context).toBe(expected.requestId);
  if (expected.field !== undefined) {
    const details: unknown = answer.body.error.details;
    const fields = Array.isArray(details) ? details.map((detail: { field?: unknown }) => detail.field) : [];
    expect(fields, `error.details names ${expected.field}; ${context}`).toContain(expected.field);
  }
}

/** `fetch` with a bounded wait, so a stream opened by mistake cannot hang the test. */
async function viaFetch(url: string, init: RequestInit = {}): Promise<Answer> {
  const answer = await request(url, { signal: AbortSignal.timeout(10_000), ...init });
  return { ...answer, requestId: answer.headers.get('x-request-id') ?? undefined };
}

async function viaHttp(url: string, options: Parameters<typeof rawRequest>[1]): Promise<Answer> {
  const answer = await rawRequest(url, options);
  const id = answer.headers['x-request-id'];
  return { ...answer, requestId: typeof id === 'string' ? id : undefined };
}

/**
 * One TCP connection driven byte by byte, for what no HTTP client sends: raw non-ASCII bytes in
 * the request line, and several requests on one kept-alive connection.
 */
class RawConnection {
  private buffer = Buffer.alloc(0);
  private closed = false;
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
    const onGone = () => {
      this.closed = true;
      this.wake?.();
    };
    socket.on('close', onGone);
    socket.on('end', onGone);
    // The peer may reset a connection it no longer reads from; that counts as closed.
    socket.on('error', onGone);
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  send(bytes: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** The next complete response; `closed` if the server closed first, `timeout` if nothing came. */
  async next(timeoutMs = 5_000): Promise<Answer | 'closed' | 'timeout'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.parse();
      if (parsed) return parsed;
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(): Answer | undefined {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const [statusLine = '', ...headerLines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = Number(headers.get('content-length') ?? 0);
    if (this.buffer.length < end + 4 + length) return undefined;
    const text = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    let body: Json = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    return {
      status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0),
      requestId: headers.get('x-request-id'),
      body,
      text,
    };
  }
}

/** A request line built from bytes, so the path can hold bytes that are not UTF-8. */
function requestBytes(method: string, path: Buffer, extraHeaders = ''): Buffer {
  return Buffer.concat([
    Buffer.from(`${method} `),
    path,
    Buffer.from(` HTTP/1.1\r\nhost: 127.0.0.1\r\n${extraHeaders}\r\n`),
  ]);
}

async function oneRawExchange(url: string, bytes: Buffer): Promise<Answer> {
  const connection = await RawConnection.open(url);
  try {
    connection.send(bytes);
    const answer = await connection.next();
    if (typeof answer === 'string') throw new Error(`expected an answer, the connection ended with "${answer}"`);
    return answer;
  } finally {
    connection.close();
  }
}

/**
 * After an oversized body was refused, the connection it came on must either be closed by the
 * server or still answer the next request; a half-read body must not wedge it.
 */
async function expectConnectionUsableAfter413(url: string, oversized: Buffer[], nextPath: string): Promise<void> {
  const connection = await RawConnection.open(url);
  try {
    for (const part of oversized) connection.send(part);
    const refused = await connection.next(10_000);
    if (typeof refused === 'string') throw new Error(`expected a 413, the connection ended with "${refused}"`);
    expectError(refused, { status: 413, code: 'PAYLOAD_TOO_LARGE' });
    connection.send(`GET ${nextPath} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
    const after = await connection.next(3_000);
    expect(after, 'the next request on the same connection is answered, or the connection is closed').not.toBe(
      'timeout',
    );
    if (typeof after !== 'string') expect(after.status).toBe(200);
  } finally {
    connection.close();
  }
}

/** A chunked body of `total` bytes, in 64 KiB chunks, with its terminating chunk. */
function chunkedBody(total: number): Buffer[] {
  const parts: Buffer[] = [];
  const chunk = Buffer.alloc(64 * 1024, 'x');
  for (let sent = 0; sent < total; sent += chunk.length) {
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return parts;
}

describe('bad input is answered with 4xx envelopes, never a 500', () => {
  let portico: PorticoProc;
  let echo: ServiceProc;
  let instances: string;

  beforeAll(async () => {
    portico = await startPortico();
    echo = await startService('echo-service', portico.adminUrl, { INSTANCE_ID: 'bad-input-echo' });
    instances = `${portico.adminUrl}/v1/registry/instances`;
  });

  afterAll(async () => {
    await echo?.stop('SIGKILL');
    await portico?.stop();
  });

  describe('admin API: bodies that are not a registration object', () => {
    const text = JSON.stringify(REGISTRATION);
    const cases: { name: string; headers: Record<string, string>; body: string | Uint8Array; expected: Expected }[] = [
      {
        name: 'malformed JSON',
        headers: JSON_TYPE,
        body: '{"service": "probe",',
        expected: { status: 400, code: 'VALIDATION_ERROR' },
      },
      { name: 'an empty JSON body', headers: JSON_TYPE, body: '', expected: { status: 400, code: 'VALIDATION_ERROR' } },
      {
        name: 'a JSON array',
        headers: JSON_TYPE,
        body: '[]',
        expected: { status: 400, code: 'VALIDATION_ERROR', field: '(body)' },
      },
      {
        name: 'a JSON number',
        headers: JSON_TYPE,
        body: '42',
        expected: { status: 400, code: 'VALIDATION_ERROR', field: '(body)' },
      },
      {
        name: 'JSON null',
        headers: JSON_TYPE,
        body: 'null',
        expected: { status: 400, code: 'VALIDATION_ERROR', field: '(body)' },
      },
      {
        name: 'a JSON string',
        headers: JSON_TYPE,
        body: '"probe"',
        expected: { status: 400, code: 'VALIDATION_ERROR', field: '(body)' },
      },
      {
        name: 'a __proto__ key',
        headers: JSON_TYPE,
        body: '{"service":"probe","host":"127.0.0.1","port":5000,"__proto__":{"admin":true}}',
        expected: { status: 400, code: 'VALIDATION_ERROR' },
      },
      {
        name: 'a text/plain body',
        headers: { 'content-type': 'text/plain' },
        body: text,
        expected: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      },
      {
        name: 'an XML body',
        headers: { 'content-type': 'application/xml' },
        body: '<instance service="probe"/>',
        expected: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      },
      {
        name: 'a form body',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'service=probe&host=127.0.0.1&port=5000',
        expected: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      },
      {
        name: 'a body without a content type',
        headers: {},
        body: new TextEncoder().encode(text),
        expected: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      },
    ];

    it.each(cases)('POST /v1/registry/instances with $name', async ({ headers, body, expected }) => {
      const requestId = nextId();
      const answer = await viaFetch(instances, {
        method: 'POST',
        headers: { ...headers, 'x-request-id': requestId },
        body,
      });
      expectError(answer, { ...expected, requestId });
    });
  });

  describe('admin API: registrations with a wrong, missing or unknown field', () => {
    const without = (key: keyof typeof REGISTRATION) => {
      const copy: Record<string, unknown> = { ...REGISTRATION };
      delete copy[key];
      return copy;
    };
    const cases: { name: string; body: Record<string, unknown>; field: string }[] = [
      { name: 'port as a string', body: { ...REGISTRATION, port: '5000' }, field: 'port' },
      { name: 'port 0', body: { ...REGISTRATION, port: 0 }, field: 'port' },
      { name: 'port 70000', body: { ...REGISTRATION, port: 70_000 }, field: 'port' },
      { name: 'port 80.5', body: { ...REGISTRATION, port: 80.5 }, field: 'port' },
      { name: 'host as a number', body: { ...REGISTRATION, host: 127 }, field: 'host' },
      { name: 'an empty host', body: { ...REGISTRATION, host: '' }, field: 'host' },
      { name: 'a host with a space', body: { ...REGISTRATION, host: 'bad host' }, field: 'host' },
      { name: 'tags as a string', body: { ...REGISTRATION, tags: 'blue,green' }, field: 'tags' },
      { name: 'a tag that is a number', body: { ...REGISTRATION, tags: ['blue', 7] }, field: 'tags.1' },
      { name: 'a negative weight', body: { ...REGISTRATION, weight: -1 }, field: 'weight' },
      { name: 'weight as a string', body: { ...REGISTRATION, weight: 'heavy' }, field: 'weight' },
      {
        name: 'metadata with a number value',
        body: { ...REGISTRATION, metadata: { zone: 1 } },
        field: 'metadata.zone',
      },
      {
        name: 'metadata with a null value',
        body: { ...REGISTRATION, metadata: { zone: null } },
        field: 'metadata.zone',
      },
      {
        name: 'metadata with an object value',
        body: { ...REGISTRATION, metadata: { zone: { a: 'b' } } },
        field: 'metadata.zone',
      },
      { name: 'metadata as a string', body: { ...REGISTRATION, metadata: 'zone=a' }, field: 'metadata' },
      {
        name: 'an endpoint with a bad method',
        body: { ...REGISTRATION, endpoints: [{ method: 'FETCH', path: '/orders' }] },
        field: 'endpoints.0.method',
      },
      {
        name: 'an endpoint path without a leading slash',
        body: { ...REGISTRATION, endpoints: [{ method: 'GET', path: 'orders' }] },
        field: 'endpoints.0.path',
      },
      {
        name: 'an endpoint path with a space',
        body: { ...REGISTRATION, endpoints: [{ method: 'GET', path: '/orders/ list' }] },
        field: 'endpoints.0.path',
      },
      {
        name: 'an endpoint without a path',
        body: { ...REGISTRATION, endpoints: [{ method: 'GET', path: '/ok' }, { method: 'GET' }] },
        field: 'endpoints.1.path',
      },
      {
        name: 'an endpoint with roles as a string',
        body: { ...REGISTRATION, endpoints: [{ method: 'GET', path: '/orders', roles: 'admin' }] },
        field: 'endpoints.0.roles',
      },
      {
        name: 'an endpoint with an unknown field',
        body: { ...REGISTRATION, endpoints: [{ method: 'GET', path: '/orders', secret: true }] },
        field: 'endpoints.0.secret',
      },
      { name: 'endpoints as a string', body: { ...REGISTRATION, endpoints: 'GET /orders' }, field: 'endpoints' },
      { name: 'an unknown auth mode', body: { ...REGISTRATION, auth: 'basic' }, field: 'auth' },
      { name: 'a basePath with a space', body: { ...REGISTRATION, basePath: '/a b' }, field: 'basePath' },
      { name: 'an empty version', body: { ...REGISTRATION, version: '' }, field: 'version' },
      { name: 'no service', body: without('service'), field: 'service' },
      { name: 'no host', body: without('host'), field: 'host' },
      { name: 'no port', body: without('port'), field: 'port' },
      { name: 'an empty object (service)', body: {}, field: 'service' },
      { name: 'an empty object (host)', body: {}, field: 'host' },
      { name: 'an empty object (port)', body: {}, field: 'port' },
      { name: 'an uppercase service name', body: { ...REGISTRATION, service: 'Probe' }, field: 'service' },
      { name: 'a service name with an underscore', body: { ...REGISTRATION, service: 'probe_one' }, field: 'service' },
      { name: 'a 64-character service name', body: { ...REGISTRATION, service: 'a'.repeat(64) }, field: 'service' },
      { name: 'a service name with a leading dash', body: { ...REGISTRATION, service: '-probe' }, field: 'service' },
      { name: 'a service name with a trailing dash', body: { ...REGISTRATION, service: 'probe-' }, field: 'service' },
      { name: 'a service name with a dot', body: { ...REGISTRATION, service: 'probe.v1' }, field: 'service' },
      { name: 'a service name with a slash', body: { ...REGISTRATION, service: 'pro/be' }, field: 'service' },
      { name: 'a non-ASCII service name', body: { ...REGISTRATION, service: 'prøbe' }, field: 'service' },
      { name: 'an empty service name', body: { ...REGISTRATION, service: '' }, field: 'service' },
      { name: 'a service name that is a number', body: { ...REGISTRATION, service: 42 }, field: 'service' },
      { name: 'an unknown extra field', body: { ...REGISTRATION, colour: 'red' }, field: 'colour' },
      { name: 'ttlSeconds 0', body: { ...REGISTRATION, ttlSeconds: 0 }, field: 'ttlSeconds' },
      { name: 'ttlSeconds -5', body: { ...REGISTRATION, ttlSeconds: -5 }, field: 'ttlSeconds' },
      { name: 'ttlSeconds 1e9', body: { ...REGISTRATION, ttlSeconds: 1e9 }, field: 'ttlSeconds' },
      { name: 'ttlSeconds above the maximum', body: { ...REGISTRATION, ttlSeconds: 3601 }, field: 'ttlSeconds' },
      { name: 'ttlSeconds 1.5', body: { ...REGISTRATION, ttlSeconds: 1.5 }, field: 'ttlSeconds' },
      { name: 'ttlSeconds "30"', body: { ...REGISTRATION, ttlSeconds: '30' }, field: 'ttlSeconds' },
      { name: 'ttlSeconds null', body: { ...REGISTRATION, ttlSeconds: null }, field: 'ttlSeconds' },
      { name: 'an empty id', body: { ...REGISTRATION, id: '' }, field: 'id' },
      { name: 'an id with a space', body: { ...REGISTRATION, id: 'probe 1' }, field: 'id' },
      { name: 'a 129-character id', body: { ...REGISTRATION, id: 'a'.repeat(129) }, field: 'id' },
      { name: 'an id that is a number', body: { ...REGISTRATION, id: 7 }, field: 'id' },
    ];

    it.each(cases)('POST /v1/registry/instances with $name', async ({ body, field }) => {
      const requestId = nextId();
      const answer = await viaFetch(instances, {
        method: 'POST',
        headers: { ...JSON_TYPE, 'x-request-id': requestId },
        body: JSON.stringify(body),
      });
      expectError(answer, { status: 400, code: 'VALIDATION_ERROR', field, requestId });
    });

    it('registers nothing from all those attempts', async () => {
      const answer = await viaFetch(`${portico.adminUrl}/v1/registry/services/probe`);
      expectError(answer, { status: 404, code: 'NOT_FOUND' });
    });
  });

  describe('admin API: unknown and malformed ids and names', () => {
    const unknownId = 'no-such-instance';
    const cases: { name: string; method: string; path: string; expected: Expected }[] = [
      {
        name: 'heartbeat of an unknown id',
        method: 'PUT',
        path: `/v1/registry/instances/${unknownId}/heartbeat`,
        expected: { status: 404, code: 'NOT_FOUND' },
      },
      {
        name: 'DELETE of an unknown id',
        method: 'DELETE',
        path: `/v1/registry/instances/${unknownId}`,
        expected: { status: 404, code: 'NOT_FOUND' },
      },
      {
        name: 'GET of an unknown id',
        method: 'GET',
        path: `/v1/registry/instances/${unknownId}`,
        expected: { status: 404, code: 'NOT_FOUND' },
      },
      {
        name: 'GET of an unknown service',
        method: 'GET',
        path: '/v1/registry/services/no-such-service',
        expected: { status: 404, code: 'NOT_FOUND' },
      },
      {
        name: 'GET of a service name that is not a DNS label',
        method: 'GET',
        path: '/v1/registry/services/Bad_Name',
        expected: { status: 400, code: 'VALIDATION_ERROR', field: 'params.name' },
      },
      {
        name: 'heartbeat of an id with a space',
        method: 'PUT',
        path: '/v1/registry/instances/a%20b/heartbeat',
        expected: { status: 400, code: 'VALIDATION_ERROR', field: 'params.id' },
      },
      ...(['GET', 'DELETE'] as const).map((method) => ({
        name: `${method} of a 129-character id`,
        method,
        path: `/v1/registry/instances/${'a'.repeat(129)}`,
        expected: { status: 400, code: 'VALIDATION_ERROR', field: 'params.id' },
      })),
      {
        name: 'heartbeat of a 129-character id',
        method: 'PUT',
        path: `/v1/registry/instances/${'a'.repeat(129)}/heartbeat`,
        expected: { status: 400, code: 'VALIDATION_ERROR', field: 'params.id' },
      },
      ...(['GET', 'DELETE'] as const).map((method) => ({
        name: `${method} of a 4000-character id`,
        method,
        path: `/v1/registry/instances/${'a'.repeat(4000)}`,
        expected: { status: 400, code: 'VALIDATION_ERROR' },
      })),
      {
        name: 'heartbeat of a 4000-character id',
        method: 'PUT',
        path: `/v1/registry/instances/${'a'.repeat(4000)}/heartbeat`,
        expected: { status: 400, code: 'VALIDATION_ERROR' },
      },
      {
        name: 'an unknown admin path',
        method: 'GET',
        path: '/v1/registry/nothing-here',
        expected: { status: 404, code: 'NOT_FOUND' },
      },
    ];

    it.each(cases)('$name', async ({ method, path, expected }) => {
      const requestId = nextId();
      const answer = await viaFetch(`${portico.adminUrl}${path}`, { method, headers: { 'x-request-id': requestId } });
      expectError(answer, { ...expected, requestId });
    });

    it('registers, renews, reads and removes an instance with the longest valid id (128 characters)', async () => {
      const id = `${'a'.repeat(127)}z`;
      const created = await viaFetch(instances, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ ...REGISTRATION, service: 'long-id', id }),
      });
      expect(created.status, created.text).toBe(201);
      for (const [method, path] of [
        ['PUT', `/v1/registry/instances/${id}/heartbeat`],
        ['GET', `/v1/registry/instances/${id}`],
        ['DELETE', `/v1/registry/instances/${id}`],
      ] as const) {
        const answer = await viaFetch(`${portico.adminUrl}${path}`, { method });
        expect(answer.status, `${method} ${path.slice(0, 40)}…: ${answer.text}`).toBe(200);
        expect(answer.body.data.id).toBe(id);
      }
    });
  });

  describe('admin API: oversized bodies', () => {
    // The answer must reach the client every time, not only when it wins a race against the
    // server closing the connection under the rest of the upload; hence several attempts.
    const ATTEMPTS = 20;

    it(`answers a 10 MB body with a content-length with 413, ${ATTEMPTS} times out of ${ATTEMPTS}`, async () => {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const requestId = nextId();
        const answer = await viaFetch(instances, {
          method: 'POST',
          headers: { ...JSON_TYPE, 'x-request-id': requestId },
          body: Buffer.alloc(TEN_MB, ' '),
        }).catch((error: Error) => {
          throw new Error(`attempt ${attempt + 1}: no answer (${String(error.cause ?? error)})`);
        });
        expectError(answer, { status: 413, code: 'PAYLOAD_TOO_LARGE', requestId });
      }
    });

    it(`answers a 10 MB chunked body with 413, ${ATTEMPTS} times out of ${ATTEMPTS}`, async () => {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const requestId = nextId();
        const answer = await viaFetch(instances, {
          method: 'POST',
          headers: { ...JSON_TYPE, 'x-request-id': requestId },
          body: new Blob([Buffer.alloc(TEN_MB, ' ')]).stream(),
          duplex: 'half',
        } as RequestInit).catch((error: Error) => {
          throw new Error(`attempt ${attempt + 1}: no answer (${String(error.cause ?? error)})`);
        });
        expectError(answer, { status: 413, code: 'PAYLOAD_TOO_LARGE', requestId });
      }
    });
  });

  describe('admin API: paths that are not valid UTF-8 or not valid percent-encoding', () => {
    const cases: { name: string; method: string; path: string }[] = [
      { name: 'a service named %FF', method: 'GET', path: '/v1/registry/services/%FF' },
      { name: 'a service named with a truncated escape', method: 'GET', path: '/v1/registry/services/%E0%A4%A' },
      { name: 'a service named with an overlong escape', method: 'GET', path: '/v1/registry/services/%C0%AF' },
      { name: 'heartbeat of an id %FF', method: 'PUT', path: '/v1/registry/instances/%FF/heartbeat' },
      { name: 'DELETE of an id with a lone surrogate', method: 'DELETE', path: '/v1/registry/instances/%ED%A0%80' },
      { name: 'GET of an id ending in a bare %', method: 'GET', path: '/v1/registry/instances/abc%' },
    ];

    it.each(cases)('$name', async ({ method, path }) => {
      const requestId = nextId();
      const answer = await viaFetch(`${portico.adminUrl}${path}`, { method, headers: { 'x-request-id': requestId } });
      expectError(answer, { status: 400, code: 'VALIDATION_ERROR', requestId });
    });

    it('answers raw non-UTF-8 bytes in the path (node:http) with a 400 envelope', async () => {
      const answer = await viaHttp(portico.adminUrl, { path: '/v1/registry/services/\u00ff\u00fe' });
      expectError(answer, { status: 400, code: 'VALIDATION_ERROR' });
    });

    it('answers raw overlong UTF-8 bytes in the path with a 400 envelope', async () => {
      const path = Buffer.concat([Buffer.from('/v1/registry/instances/'), Buffer.from([0xc0, 0xaf])]);
      const answer = await oneRawExchange(portico.adminUrl, requestBytes('DELETE', path, 'connection: close\r\n'));
      expectError(answer, { status: 400, code: 'VALIDATION_ERROR' });
    });

    it('answers raw bytes on a kept-alive connection that already served a request', async () => {
      const connection = await RawConnection.open(portico.adminUrl);
      try {
        connection.send('GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
        const first = await connection.next();
        expect(typeof first === 'string' ? first : first.status).toBe(200);
        connection.send(requestBytes('GET', Buffer.from([0x2f, 0xff, 0xfe])));
        const second = await connection.next();
        if (typeof second === 'string')
          throw new Error(`expected a 400 envelope, the connection ended with "${second}"`);
        expectError(second, { status: 400, code: 'VALIDATION_ERROR' });
      } finally {
        connection.close();
      }
    });

    it('answers headers over the limit with a 431 envelope', async () => {
      const answer = await viaHttp(portico.adminUrl, { path: '/health', headers: { 'x-big': 'a'.repeat(17 * 1024) } });
      expectError(answer, { status: 431, code: 'HEADERS_TOO_LARGE' });
    });
  });

  describe('admin API: watch resume points', () => {
    const cases: { name: string; query: string; headers: Record<string, string>; field: string }[] = [
      { name: 'since=abc', query: '?since=abc', headers: {}, field: 'querystring.since' },
      { name: 'since=-1', query: '?since=-1', headers: {}, field: 'querystring.since' },
      { name: 'since=1.5', query: '?since=1.5', headers: {}, field: 'querystring.since' },
      { name: 'since with 16 digits', query: `?since=${'9'.repeat(16)}`, headers: {}, field: 'querystring.since' },
      {
        name: 'an epoch over 64 characters',
        query: `?since=1&epoch=${'e'.repeat(65)}`,
        headers: {},
        field: 'querystring.epoch',
      },
      { name: 'an unknown query parameter', query: '?from=1', headers: {}, field: 'querystring.from' },
      {
        name: 'a Last-Event-ID of garbage',
        query: '',
        headers: { 'last-event-id': 'garbage' },
        field: 'headers.last-event-id',
      },
      {
        name: 'a Last-Event-ID with a non-numeric revision',
        query: '',
        headers: { 'last-event-id': 'epoch:12a' },
        field: 'headers.last-event-id',
      },
    ];

    it.each(cases)('GET /v1/registry/watch with $name', async ({ query, headers, field }) => {
      const requestId = nextId();
      const answer = await viaFetch(`${portico.adminUrl}/v1/registry/watch${query}`, {
        headers: { ...headers, 'x-request-id': requestId },
      });
      expectError(answer, { status: 400, code: 'VALIDATION_ERROR', field, requestId });
    });
  });

  describe('gateway', () => {
    const cases: { name: string; path: string; expected: Expected }[] = [
      {
        name: 'a service segment that is %FF',
        path: '/api/%FF/x',
        expected: { status: 400, code: 'VALIDATION_ERROR' },
      },
      {
        name: 'an overlong escape after an unknown service',
        path: '/api/hello/%C0%AF',
        expected: { status: 400, code: 'VALIDATION_ERROR' },
      },
      {
        name: 'an overlong escape after a registered service',
        path: '/api/echo/%C0%AF',
        expected: { status: 400, code: 'VALIDATION_ERROR' },
      },
      {
        name: 'a truncated escape after a registered service',
        path: '/api/echo/%E0%A4%A',
        expected: { status: 400, code: 'VALIDATION_ERROR' },
      },
      { name: 'an unknown service', path: '/api/no-such-service/x', expected: { status: 404, code: 'NOT_FOUND' } },
      {
        name: 'an unknown service without a rest',
        path: '/api/no-such-service',
        expected: { status: 404, code: 'NOT_FOUND' },
      },
      { name: 'no service at all (/api/)', path: '/api/', expected: { status: 404, code: 'NOT_FOUND' } },
      { name: '/api itself', path: '/api', expected: { status: 404, code: 'NOT_FOUND' } },
      { name: 'an unknown top-level path', path: '/nothing-here', expected: { status: 404, code: 'NOT_FOUND' } },
      {
        name: 'a service name that is not a DNS label',
        path: '/api/Bad_Name/x',
        expected: { status: 404, code: 'NOT_FOUND' },
      },
    ];

    it.each(cases)('GET $path ($name)', async ({ path, expected }) => {
      const requestId = nextId();
      const answer = await viaFetch(`${portico.publicUrl}${path}`, { headers: { 'x-request-id': requestId } });
      expectError(answer, { ...expected, requestId });
    });

    it('answers raw non-UTF-8 bytes in the path (node:http) with a 400 envelope', async () => {
      const answer = await viaHttp(portico.publicUrl, { path: '/api/echo/\u00ff' });
      expectError(answer, { status: 400, code: 'VALIDATION_ERROR' });
    });

    it('answers raw overlong UTF-8 bytes in the service segment with a 400 envelope', async () => {
      const path = Buffer.concat([Buffer.from('/api/'), Buffer.from([0xc0, 0xaf]), Buffer.from('/x')]);
      const answer = await oneRawExchange(portico.publicUrl, requestBytes('GET', path, 'connection: close\r\n'));
      expectError(answer, { status: 400, code: 'VALIDATION_ERROR' });
    });

    it('answers headers over 16 KiB with a 431 envelope', async () => {
      const answer = await viaHttp(portico.publicUrl, {
        path: '/api/echo/x',
        headers: { 'x-big': 'a'.repeat(17 * 1024) },
      });
      expectError(answer, { status: 431, code: 'HEADERS_TOO_LARGE' });
    });

    it('answers a 10 MB body with a content-length with 413', async () => {
      const requestId = nextId();
      const answer = await viaFetch(`${portico.publicUrl}/api/echo/upload`, {
        method: 'POST',
        headers: { 'x-request-id': requestId },
        body: Buffer.alloc(TEN_MB, 'x'),
      });
      expectError(answer, { status: 413, code: 'PAYLOAD_TOO_LARGE', requestId });
    });

    it('answers a 10 MB chunked body without a content-length with 413', async () => {
      const requestId = nextId();
      const answer = await viaHttp(`${portico.publicUrl}/api/echo/upload`, {
        method: 'POST',
        headers: { 'transfer-encoding': 'chunked', 'x-request-id': requestId },
        body: Buffer.alloc(TEN_MB, 'x'),
      });
      expectError(answer, { status: 413, code: 'PAYLOAD_TOO_LARGE', requestId });
    });

    // The gateway's own server serves a request whose body length is zero however it is
    // spelled; the forward must see no body either (it once took "00" for a body to stream).
    it.each(['00', '000'])('forwards a GET with content-length %j as one without a body', async (length) => {
      const requestId = nextId();
      const answer = await oneRawExchange(
        portico.publicUrl,
        Buffer.from(
          `GET /api/echo/zero HTTP/1.1\r\nhost: 127.0.0.1\r\nx-request-id: ${requestId}\r\ncontent-length: ${length}\r\nconnection: close\r\n\r\n`,
        ),
      );
      expect(answer.status).toBe(200);
      expect(answer.requestId).toBe(requestId);
    });

    it('keeps a connection usable (or closes it) after refusing a 10 MB body with a content-length', async () => {
      const head = `POST /api/echo/upload HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${TEN_MB}\r\n\r\n`;
      await expectConnectionUsableAfter413(
        portico.publicUrl,
        [Buffer.from(head), Buffer.alloc(TEN_MB, 'x')],
        '/api/echo/after',
      );
    });

    it('keeps a connection usable (or closes it) after refusing a 10 MB chunked body', async () => {
      const head = 'POST /api/echo/upload HTTP/1.1\r\nhost: 127.0.0.1\r\ntransfer-encoding: chunked\r\n\r\n';
      await expectConnectionUsableAfter413(
        portico.publicUrl,
        [Buffer.from(head), ...chunkedBody(TEN_MB)],
        '/api/echo/after',
      );
    });
  });

  describe('afterwards', () => {
    it('Portico is alive and logged no unhandled error', () => {
      expect(portico.child.exitCode).toBeNull();
      expect(portico.child.signalCode).toBeNull();
      expect(portico.lines.filter((line) => /unhandled error/i.test(line))).toEqual([]);
      const errors = portico.lines.filter((line) => {
        try {
          return (JSON.parse(line) as { level?: number }).level! >= 50;
        } catch {
          return false;
        }
      });
      expect(errors).toEqual([]);
    });

    it('still registers a valid instance and routes to it', async () => {
      const port = Number(new URL(echo.url).port);
      const created = await viaFetch(instances, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({
          id: 'survivor-1',
          service: 'survivor',
          host: '127.0.0.1',
          port,
          ttlSeconds: 60,
          auth: 'public',
        }),
      });
      expect(created.status, created.text).toBe(201);
      expect(created.body.success).toBe(true);
      expect(created.body.data.ttlSeconds).toBe(60);
      const routed = await viaFetch(`${portico.publicUrl}/api/survivor/still/here?ok=1`);
      expect(routed.status, routed.text).toBe(200);
      expect(routed.body.data.instance).toBe('bad-input-echo');
      expect(routed.body.data.url).toBe('/still/here?ok=1');
      for (const url of [portico.publicUrl, portico.adminUrl]) {
        const health = await viaFetch(`${url}/health`);
        expect(health.status).toBe(200);
      }
    });
  });
});
