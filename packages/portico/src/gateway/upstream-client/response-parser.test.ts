import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ResponseParser } from './response-parser.js';

interface Parsed {
  heads: { status: number; reason: string; headers: IncomingHttpHeaders }[];
  body: string;
  complete: number;
  keepAlive: boolean;
  keepAliveHintMs: number;
}

/** Feeds `raw` in pieces of `step` bytes (every split point is a place a socket may cut). */
function parse(raw: string, { method = 'GET', step = raw.length, close = false } = {}): Parsed {
  const out: Parsed = { heads: [], body: '', complete: 0, keepAlive: true, keepAliveHintMs: 0 };
  const parser = new ResponseParser({
    onHead: (status, reason, headers) => out.heads.push({ status, reason, headers: { ...headers } }),
    onBody: (chunk) => {
      out.body += chunk.toString('latin1');
    },
    onComplete: () => {
      out.complete++;
    },
  });
  parser.expect(method);
  const bytes = Buffer.from(raw, 'latin1');
  for (let at = 0; at < bytes.length; at += step) parser.execute(bytes.subarray(at, at + step));
  if (close) parser.finish();
  out.keepAlive = parser.keepAlive;
  out.keepAliveHintMs = parser.keepAliveHintMs;
  return out;
}

/** The same answer whatever the socket's cuts. */
function parseEverySplit(raw: string, options: { method?: string; close?: boolean } = {}): Parsed {
  const whole = parse(raw, options);
  for (let step = 1; step < Math.min(raw.length, 40); step++) expect(parse(raw, { ...options, step })).toEqual(whole);
  return whole;
}

function failure(raw: string, options: { method?: string; close?: boolean } = {}): string {
  try {
    parse(raw, options);
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'parsed';
}

describe('ResponseParser', () => {
  it('reads a Content-Length response, however the socket cuts it', () => {
    const parsed = parseEverySplit(
      'HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Spaced:   a b  \r\n\r\nhello',
    );
    expect(parsed.heads).toEqual([
      {
        status: 200,
        reason: 'OK',
        headers: { server: 'nginx', 'content-type': 'text/plain', 'content-length': '5', 'x-spaced': 'a b' },
      },
    ]);
    expect(parsed.body).toBe('hello');
    expect(parsed.complete).toBe(1);
    expect(parsed.keepAlive).toBe(true);
  });

  it('de-chunks a chunked body with extensions and trailers', () => {
    const parsed = parseEverySplit(
      'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n',
    );
    expect(parsed.heads[0]?.status).toBe(201);
    expect(parsed.body).toBe('hello, world!!!');
    expect(parsed.complete).toBe(1);
    expect(parsed.keepAlive).toBe(true);
  });

  it('reads a body without framing until the upstream closes, and does not reuse the connection', () => {
    const parsed = parseEverySplit('HTTP/1.1 200 OK\r\n\r\nuntil close', { close: true });
    expect(parsed.body).toBe('until close');
    expect(parsed.complete).toBe(1);
    expect(parsed.keepAlive).toBe(false);
  });

  it('expects no body after HEAD, 204 and 304, and skips interim 1xx heads', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n', { method: 'HEAD' })).toMatchObject({
      body: '',
      complete: 1,
    });
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({ complete: 1 });
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')).toMatchObject({ complete: 1 });
    const interim = parseEverySplit(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    );
    expect(interim.heads.map((head) => head.status)).toEqual([200]);
    expect(interim.body).toBe('ok');
  });

  it('follows Connection and the Keep-Alive timeout hint', () => {
    expect(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(true);
    const hinted = parse('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n');
    expect(hinted.keepAliveHintMs).toBe(5_000);
  });

  it('reads hop-by-hop headers for the framing and hands none of them on', () => {
    const parsed = parse(
      'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=9\r\nX-Hop: 1\r\nProxy-Connection: x\r\nUpgrade: h2c\r\nTrailer: x-t\r\nTransfer-Encoding: chunked\r\nX-Kept: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    );
    expect(parsed.heads[0]?.headers).toEqual({ 'x-kept': '2' });
    expect(parsed).toMatchObject({ body: 'ok', keepAlive: true, keepAliveHintMs: 9_000 });
  });

  it('keeps repeated headers as lists, and refuses nothing an ordinary server sends', () => {
    const parsed = parse(
      'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nVary: x\r\nVary: y\r\nContent-Length: 0\r\nContent-Length: 0\r\nX-Latin: caf\xe9\r\n\r\n',
    );
    expect(parsed.heads[0]?.headers).toEqual({
      'set-cookie': ['a=1', 'b=2'],
      vary: ['x', 'y'],
      'content-length': '0',
      'x-latin': 'caf\xe9',
    });
  });

  it('never lets a header name reach the object prototype', () => {
    const parsed = parse('HTTP/1.1 200 OK\r\n__proto__: x\r\nConstructor: y\r\nContent-Length: 0\r\n\r\n');
    const headers = parsed.heads[0]?.headers as IncomingHttpHeaders;
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(headers.constructor).toBe('y');
    expect(Object.keys(headers)).toEqual(['constructor', 'content-length']);
  });

  it('refuses what could smuggle a second response or break the caller’s connection', () => {
    const bad: Record<string, string> = {
      'no version': '200 OK\r\n\r\n',
      'HTTP/2 status line': 'HTTP/2 200 OK\r\n\r\n',
      'two-digit status': 'HTTP/1.1 20 OK\r\n\r\n',
      'status 099': 'HTTP/1.1 099 X\r\n\r\n',
      'letters in status': 'HTTP/1.1 2x0 OK\r\n\r\n',
      'no space after status': 'HTTP/1.1 200OK\r\n\r\n',
      'header without colon': 'HTTP/1.1 200 OK\r\nBroken\r\n\r\n',
      'space before colon': 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n',
      'obs-fold': 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n',
      'bare LF in a value': 'HTTP/1.1 200 OK\r\nX-A: a\nContent-Length: 9\r\nContent-Length: 0\r\n\r\n',
      'NUL in a value': 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n',
      'CR in a value': 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n',
      'conflicting Content-Length': 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      'Content-Length list': 'HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\na',
      'negative Content-Length': 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'Transfer-Encoding and Content-Length':
        'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      'LF-only line ends': 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok',
      'a bare LF after a CRLF line': 'HTTP/1.1 200 OK\r\nContent-Length: 2\n\nok',
      'chunk size not hex': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'chunk size with sign': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n',
      'huge chunk size': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n',
      'chunk without CRLF': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXX0\r\n\r\n',
      'switching protocols unasked': 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n',
      'more than it framed': 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nabHTTP/1.1 200 OK\r\n\r\n',
      'head too long': `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`,
    };
    for (const [name, raw] of Object.entries(bad)) {
      expect(failure(raw), name).toBe('PORTICO_BAD_RESPONSE');
      // Split anywhere, the verdict is the same.
      for (const step of [1, 7]) {
        let code = 'parsed';
        try {
          parse(raw, { step });
        } catch (error) {
          code = (error as { code: string }).code;
        }
        expect(code, `${name}, in pieces of ${step}`).toBe('PORTICO_BAD_RESPONSE');
      }
    }
  });

  it('fails a response the upstream cut short', () => {
    expect(failure('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf', { close: true })).toBe(
      'PORTICO_UPSTREAM_CLOSED',
    );
    expect(failure('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', { close: true })).toBe(
      'PORTICO_UPSTREAM_CLOSED',
    );
    expect(failure('HTTP/1.1 200 OK\r\nContent-Le', { close: true })).toBe('PORTICO_UPSTREAM_CLOSED');
  });
});
