/**
 * The gateway's own HTTP/1.1 parser against llhttp (node:http, strict), and its upstream client
 * against misbehaving upstreams. A raw client sends each vector of the corpus to a real gateway
 * and to a plain node:http server; the gateway must refuse what llhttp refuses and take the same
 * requests otherwise (stricter only where a vector says why), and the recording upstream behind
 * it must see exactly the requests the gateway routed: same count, same paths, same request ids.
 * On the pooled upstream connection, every client must get the answer made for its own request.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREFIX_LENGTH, SPLIT_VECTORS, VECTORS, type Vector } from './support/http1-corpus.js';
import { type AccessLine, type GatewaySide, startGatewaySide, startReference } from './support/http1-differential.js';
import { BAD_RESPONSES } from './support/http1-response-corpus.js';
import { exchange, until, type WireExchange, type WireResponse } from './support/wire-client.js';

let gateway: GatewaySide;
let reference: Awaited<ReturnType<typeof startReference>>;
let tags = 0;
/** A fresh four-character tag, so `{p}` is always PREFIX_LENGTH long. */
const nextTag = () => `v${(tags++).toString(36).padStart(3, '0')}`;
const prefix = (tag: string) => `/api/rec/${tag}`;

beforeAll(async () => {
  [gateway, reference] = await Promise.all([startGatewaySide(), startReference()]);
});

afterAll(async () => {
  await gateway?.close();
  await new Promise((resolve) => reference?.server.close(resolve));
});

/** Messages of the answers written for a head that never became a request (no access line). */
const PARSER_REFUSAL =
  /"message":"(the request is not valid HTTP|the request headers are larger than the limit|only HTTP\/1\.0 and HTTP\/1\.1 are served)"/;

/** The path after the vector's tag (`/api/rec/v001/a?x` is `/a`), as the gateway logged it. */
function after(tag: string, url: string): string {
  const at = url.indexOf(`/${tag}`);
  if (at === -1) return url;
  return (url.slice(at + tag.length + 1).split('?')[0] as string) || '/';
}

/** Sends `parts` to both servers; resolves once the gateway logged every answer it gave. */
async function both(
  tag: string,
  parts: string[],
): Promise<{ gw: WireExchange; node: WireExchange; lines: AccessLine[] }> {
  const [gw, node] = await Promise.all([exchange(gateway.port, parts), exchange(reference.port, parts)]);
  const answered = gw.responses.filter((response) => !PARSER_REFUSAL.test(response.body)).length;
  const lines = () => gateway.access.filter((line) => line.path.includes(`/${tag}`));
  await until(() => lines().length >= answered, `${answered} access lines for ${tag}`);
  return { gw, node, lines: lines() };
}

/** The gateway's side of a vector: what it routed, answered and refused, and what the upstream saw. */
function expectGateway(vector: Vector, tag: string, gw: WireExchange, lines: AccessLine[]): void {
  const context = `${vector.name}: ${JSON.stringify(vector.bytes)} → ${gw.responses.map((r) => `${r.status} ${r.body.slice(0, 120)}`).join(' | ')}`;
  expect(
    lines.map((line) => after(tag, line.path)),
    context,
  ).toEqual(vector.routed);
  for (const line of lines) expect(line.instance, context).toBe('rec-1');
  const routedAnswers = gw.responses.slice(0, vector.routed.length);
  expect(
    routedAnswers.map((response) => response.status),
    context,
  ).toEqual(vector.routed.map(() => 200));
  routedAnswers.forEach((response, i) => {
    // Made by the upstream for the request the gateway routed as this one.
    expect(JSON.parse(response.body).id, context).toBe(lines[i]?.requestId);
  });
  const extra = gw.responses.slice(vector.routed.length).map((response) => response.status);
  expect(extra, context).toEqual(vector.refused === undefined ? [] : [vector.refused]);
  expect(gw.ended, context).toBe('closed');
  const seen = gateway.upstream.seenWith(`/${tag}`);
  expect(
    seen.map((request) => request.target.split('?')[0]),
    `the upstream saw what was routed; ${context}`,
  ).toEqual(vector.routed.map((path) => `/${tag}${path}`));
  expect(
    seen.map((request) => request.headers['x-request-id']),
    context,
  ).toEqual(lines.map((line) => line.requestId));
}

/** llhttp's side: it took the same requests and refused alike, or the vector says why not. */
function expectReference(vector: Vector, tag: string, node: WireExchange): void {
  // Taken off the list: a later connection may come from the same client port.
  const mine = reference.requests.filter((request) => request.port === node.localPort);
  reference.requests.splice(0, reference.requests.length, ...reference.requests.filter((r) => !mine.includes(r)));
  const took = mine.map((request) => after(tag, request.url).replace(/\/{2,}/g, '/'));
  const refused =
    took.length === 0 || node.responses.length < took.length || node.responses.some((r) => r.status !== 200);
  const context = `${vector.name}: node:http took ${JSON.stringify(took)}, answered ${node.responses.map((r) => r.status).join(',')}`;
  if (vector.stricter === undefined) {
    expect(took, context).toEqual(vector.routed);
    expect(refused, context).toBe(vector.refused !== undefined);
  } else {
    expect(took.length > vector.routed.length || !refused, `llhttp accepts it (${vector.stricter}); ${context}`).toBe(
      true,
    );
  }
}

const bytesFor = (vector: Vector, tag: string) => vector.bytes.replaceAll('{p}', prefix(tag));

describe('the parser agrees with llhttp', () => {
  it('the corpus is sized for its prefix', () => {
    expect(prefix(nextTag())).toHaveLength(PREFIX_LENGTH);
  });

  it.each(VECTORS)('$name', async (vector) => {
    const tag = nextTag();
    const { gw, node, lines } = await both(tag, [bytesFor(vector, tag)]);
    expectGateway(vector, tag, gw, lines);
    expectReference(vector, tag, node);
  });

  it.each(SPLIT_VECTORS)('$name, split at every byte offset', async (vector) => {
    const length = bytesFor(vector, 'v000').length;
    for (let at = 1; at < length; at++) {
      const tag = nextTag();
      const bytes = bytesFor(vector, tag);
      const { gw, node, lines } = await both(tag, [bytes.slice(0, at), bytes.slice(at)]);
      const split = { ...vector, name: `${vector.name} (split at ${at})` };
      expectGateway(split, tag, gw, lines);
      expectReference(split, tag, node);
    }
  });

  it('the upstream saw no request the gateway did not route', async () => {
    const routed = new Map<string, AccessLine>();
    for (const line of gateway.access) if (line.instance !== undefined) routed.set(line.requestId, line);
    const seen = gateway.upstream.seen.map((request) => request.headers['x-request-id'] as string);
    expect(seen.filter((id) => !routed.has(id))).toEqual([]);
    expect(new Set(seen).size, 'no request id seen twice').toBe(seen.length);
    // Routed and never seen whole: only a forward cut off when its caller's body turned out bad.
    const unseen = [...routed.values()].filter((line) => !seen.includes(line.requestId));
    expect(unseen.filter((line) => line.aborted !== true)).toEqual([]);
    expect(gateway.upstream.garbage).toEqual([]);
  });
});

/** A request of its own on a new connection: it must get the answer made for it. */
async function ownAnswer(tag: string, path = '/own'): Promise<void> {
  const { responses } = await exchange(gateway.port, [
    `GET ${prefix(tag)}${path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`,
  ]);
  expect(responses.map((response) => response.status)).toEqual([200]);
  const answer = JSON.parse((responses[0] as WireResponse).body);
  expect(answer.target).toBe(`/${tag}${path}`);
  await until(() => gateway.access.some((line) => line.path === `${prefix(tag)}${path}`), 'its access line');
  expect(answer.id).toBe(gateway.access.find((line) => line.path === `${prefix(tag)}${path}`)?.requestId);
  expect(responses[0]?.headers['x-stray']).toBeUndefined();
}

/** node:http's client (llhttp) on the same upstream answer: 'error', or the status it read. */
function nodeClient(path: string): Promise<number | 'error'> {
  return new Promise((resolve) => {
    const req = httpRequest({ port: gateway.upstream.port, host: '127.0.0.1', path, agent: false }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve('error'));
    });
    req.on('error', () => resolve('error'));
    // Without a listener Node would keep a switched connection open and never settle.
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.end();
  });
}

describe('response-side framing errors from the upstream', () => {
  it.each(BAD_RESPONSES)('$name', async (bad) => {
    const tag = nextTag();
    gateway.upstream.misbehave(`/${tag}-bad`, { kind: bad.close ? 'rawThenClose' : 'raw', bytes: bad.bytes });
    const { responses } = await exchange(gateway.port, [
      `GET ${prefix(tag)}/${tag}-bad HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`,
    ]);
    const status = responses[0]?.status ?? 'cut';
    expect(status, JSON.stringify(responses)).toBe(bad.gateway);
    if (bad.gateway === 502) expect(responses[0]?.body).toContain('UPSTREAM_ERROR');
    const refused = bad.gateway !== 200;
    // The connection that carried it is never reused: the next caller gets its own answer.
    const carried = gateway.upstream.seenWith(`/${tag}-bad`)[0]?.connection as number;
    await until(() => gateway.upstream.closedConnections.has(carried), 'the bad connection to close');
    await ownAnswer(tag);
    const llhttp = await nodeClient(`/${tag}/${tag}-bad`);
    if (bad.differs === undefined) expect(llhttp === 'error', `node:http's client: ${llhttp}`).toBe(refused);
    else expect(llhttp === 'error', bad.differs).not.toBe(refused);
  });
});

describe('a pooled upstream connection never gives one caller another caller’s answer', () => {
  it('concurrent callers on one pooled connection each get their own answer', async () => {
    const tag = nextTag();
    const paths = Array.from({ length: 24 }, (_, i) => `/c${i}`);
    const results = await Promise.all(
      paths.map((path) =>
        exchange(gateway.port, [`GET ${prefix(tag)}${path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`]),
      ),
    );
    await until(
      () => gateway.access.filter((line) => line.path.includes(`/${tag}/`)).length === paths.length,
      'access lines',
    );
    results.forEach((result, i) => {
      const answer = JSON.parse(result.responses[0]?.body ?? '{}');
      expect(answer.target).toBe(`/${tag}${paths[i]}`);
      expect(answer.id).toBe(gateway.access.find((line) => line.path === `${prefix(tag)}${paths[i]}`)?.requestId);
    });
    // One connection per upstream: they queued on it rather than opening others.
    expect(new Set(gateway.upstream.seenWith(`/${tag}/`).map((seen) => seen.connection)).size).toBe(1);
  });

  const stray = 'HTTP/1.1 200 OK\r\ncontent-length: 8\r\nx-stray: 1\r\n\r\nSMUGGLED';
  it.each([
    ['a 204', 'GET', 'HTTP/1.1 204 No Content\r\n\r\n', 204],
    ['a 304', 'GET', 'HTTP/1.1 304 Not Modified\r\nETag: "1"\r\n\r\n', 304],
    ['a HEAD answer (its late body)', 'HEAD', 'HTTP/1.1 200 OK\r\ncontent-length: 52\r\n\r\n', 200],
  ] as const)('bytes an upstream sends after %s reach no other caller', async (_name, method, first, status) => {
    const tag = nextTag();
    // The stray bytes come once the pooled connection carries the next request, as if they were its answer.
    gateway.upstream.misbehave(`/${tag}-stray`, { kind: 'thenOnNext', first, next: stray });
    const { responses } = await exchange(
      gateway.port,
      [`${method} ${prefix(tag)}/${tag}-stray HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`],
      { methods: [method] },
    );
    expect(responses.map((response) => response.status)).toEqual([status]);
    await ownAnswer(tag);
  });

  it('bytes on an idle pooled connection discard it', async () => {
    const tag = nextTag();
    await ownAnswer(tag, '/first');
    const carried = gateway.upstream.seenWith(`/${tag}/first`)[0]?.connection as number;
    gateway.upstream.write(carried, stray);
    await until(() => gateway.upstream.closedConnections.has(carried), 'the gateway to drop the connection');
    await ownAnswer(tag);
  });
});

describe('the fixes the differential asked for', () => {
  it('(a) an answer still upstream goes out before the refusal of a request pipelined behind it', async () => {
    for (const refused of [
      [`GET {p}/bad HTTP/1.1\r\nHost: gw\r\nX-A: 1\r\n 2\r\n\r\n`, 400],
      [`GET {p}/big HTTP/1.1\r\nHost: gw\r\nX-Big: ${'b'.repeat(17 * 1024)}\r\n\r\n`, 431],
    ] as const) {
      const tag = nextTag();
      let release = () => {};
      gateway.upstream.misbehave(`/${tag}-held`, {
        kind: 'hold',
        until: new Promise<void>((resolve) => (release = resolve)),
      });
      const post = `POST ${prefix(tag)}/${tag}-held HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello`;
      const sent = exchange(gateway.port, [post + refused[0].replaceAll('{p}', prefix(tag))]);
      // The refusal is known while the POST is still upstream; only then does the upstream answer.
      await until(() => gateway.upstream.seenWith(`/${tag}-held`).length === 1, 'the POST upstream');
      release();
      const { responses, ended } = await sent;
      expect(responses.map((response) => response.status)).toEqual([200, refused[1]]);
      expect(JSON.parse((responses[0] as WireResponse).body).target).toBe(`/${tag}/${tag}-held`);
      expect(ended).toBe('closed');
    }
  });

  it('(c) an absolute-form target is forwarded origin-form, and its authority wins over Host', async () => {
    for (const [method, body] of [
      ['GET', ''],
      ['POST', 'hello'],
    ] as const) {
      const tag = nextTag();
      const length = body === '' ? '' : `Content-Length: ${body.length}\r\n`;
      const { responses } = await exchange(gateway.port, [
        `${method} http://api.example:8080${prefix(tag)}/abs?q=1 HTTP/1.1\r\nHost: other.example\r\n${length}Connection: close\r\n\r\n${body}`,
      ]);
      expect(responses.map((response) => response.status)).toEqual([200]);
      const [seen] = gateway.upstream.seenWith(`/${tag}/`);
      expect(seen?.target).toBe(`/${tag}/abs?q=1`);
      expect(seen?.headers['x-forwarded-host']).toBe('api.example:8080');
      expect(seen?.body).toBe(body);
    }
  });

  it('(d) consecutive slashes are merged for matching and forwarding, not in the query', async () => {
    for (const [method, body] of [
      ['GET', ''],
      ['POST', 'hello'],
    ] as const) {
      const tag = nextTag();
      const length = body === '' ? '' : `Content-Length: ${body.length}\r\n`;
      const { responses } = await exchange(gateway.port, [
        `${method} //api//rec///${tag}//a///b?next=//x HTTP/1.1\r\nHost: gw\r\n${length}Connection: close\r\n\r\n${body}`,
      ]);
      expect(responses.map((response) => response.status)).toEqual([200]);
      expect(gateway.upstream.seenWith(`/${tag}/`).map((seen) => seen.target)).toEqual([`/${tag}/a/b?next=//x`]);
    }
  });

  it('a header name with an underscore does not reach the upstream', async () => {
    const tag = nextTag();
    const { responses } = await exchange(gateway.port, [
      `GET ${prefix(tag)}/u HTTP/1.1\r\nHost: gw\r\nx_user_id: 1\r\nX_Tenant_Id: t\r\nx-kept: 1\r\nConnection: close\r\n\r\n`,
    ]);
    expect(responses.map((response) => response.status)).toEqual([200]);
    const [seen] = gateway.upstream.seenWith(`/${tag}/`);
    expect(seen?.headers['x-kept']).toBe('1');
    expect(Object.keys(seen?.headers ?? {}).filter((name) => name.includes('_'))).toEqual([]);
  });
});
