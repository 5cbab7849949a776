import http, { type IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRequestHead, type RequestHead, RequestParseError } from './request-head.js';

/** Node's own default `maxHeaderSize`, so both parsers work under the same limit. */
const MAX = 16 * 1024;
const H = 'Host: example.com\r\n';

function bytes(raw: string): Buffer {
  return Buffer.from(raw, 'latin1');
}

function parse(raw: string, max = MAX): { head: RequestHead; end: number } | undefined {
  return parseRequestHead(bytes(raw), 0, max);
}

/** The code a request is refused with, or 'parsed' / 'incomplete'. */
function verdict(raw: string | Buffer, offset = 0, max = MAX): string {
  try {
    return parseRequestHead(typeof raw === 'string' ? bytes(raw) : raw, offset, max) === undefined
      ? 'incomplete'
      : 'parsed';
  } catch (error) {
    if (!(error instanceof RequestParseError)) throw error;
    return error.code;
  }
}

/** What node:http made of a request, and how it answered. */
interface NodeView {
  seen:
    | { method?: string; url?: string; httpVersion: string; headers: IncomingHttpHeaders; upgrade: boolean }
    | undefined;
  status: number;
  connection: string | undefined;
}

let server: http.Server;
let port = 0;
let seen: NodeView['seen'];

beforeAll(async () => {
  // Default options: Node 20's strict llhttp, 16 KiB heads, Host required in HTTP/1.1.
  server = http.createServer((req, res) => {
    seen = { method: req.method, url: req.url, httpVersion: req.httpVersion, headers: req.headers, upgrade: false };
    req.resume();
    req.on('end', () => {
      res.setHeader('content-length', 2);
      res.end('ok');
    });
  });
  // With listeners, Node hands upgrades and CONNECTs over instead of destroying the socket.
  const handOver = (req: http.IncomingMessage, socket: import('node:stream').Duplex): void => {
    seen = { method: req.method, url: req.url, httpVersion: req.httpVersion, headers: req.headers, upgrade: true };
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  };
  server.on('upgrade', handOver);
  server.on('connect', handOver);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Sends raw bytes on a fresh connection and reads Node's final answer (status 0: closed without one). */
function node(raw: string): Promise<NodeView> {
  seen = undefined;
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const done = (): void => {
      socket.destroy();
      clearTimeout(timer);
      // A 100 Continue before the final answer is skipped.
      const text = data.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({
        seen,
        status: status ? Number(status[1]) : 0,
        connection: /\r\nconnection: ([^\r]*)/i.exec(text.slice(0, text.indexOf('\r\n\r\n') + 2))?.[1]?.toLowerCase(),
      });
    };
    // Node waits for a body it was promised and cannot get (status 0, `seen` set), or for a head it
    // thinks unfinished (status 0, nothing seen: the corpora hold none).
    const timer = setTimeout(done, 1_000);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const text = data.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
      const headEnd = text.indexOf('\r\n\r\n');
      const length = raw.startsWith('HEAD ') ? '0' : /\r\ncontent-length: (\d+)/i.exec(text)?.[1];
      if (headEnd !== -1 && length !== undefined && text.length >= headEnd + 4 + Number(length)) done();
    });
    socket.on('error', () => {});
    socket.on('close', done);
    socket.write(bytes(raw));
  });
}

/** Valid requests: each header-joining class, framing, forms of target, versions and connection options. */
const VALID: Record<string, string> = {
  'simple GET': `GET / HTTP/1.1\r\n${H}\r\n`,
  'browser GET, mixed-case names': `GET /api/orders?id=1&x=%20 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\nUpgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\n\r\n`,
  HEAD: `HEAD /h HTTP/1.1\r\n${H}\r\n`,
  'POST with Content-Length': `POST /orders HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 11\r\n\r\n{"a":"bcd"}`,
  'PUT chunked': `PUT /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  'Transfer-Encoding: Chunked, any case': `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: Chunked\r\n\r\n0\r\n\r\n`,
  'Transfer-Encoding gzip, chunked': `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
  'Transfer-Encoding over two headers': `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  DELETE: `DELETE /orders/1 HTTP/1.1\r\n${H}Authorization: Bearer abc\r\n\r\n`,
  'PATCH with Content-Length 0': `PATCH /o HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`,
  'Content-Length with leading zeros': `POST /o HTTP/1.1\r\n${H}Content-Length: 003\r\n\r\nabc`,
  'OPTIONS *': `OPTIONS * HTTP/1.1\r\n${H}\r\n`,
  'OPTIONS on a path': `OPTIONS /a HTTP/1.1\r\n${H}Access-Control-Request-Method: PUT\r\nOrigin: https://a.example\r\n\r\n`,
  'absolute-form': `GET http://example.com:8080/a/b?c=d HTTP/1.1\r\n${H}\r\n`,
  'visible ASCII oddities in the target': `GET /a/{b}|c^\`"\\[]!$&'()*+,;=:@~#frag HTTP/1.1\r\n${H}\r\n`,
  'PURGE, TRACE, PROPFIND': `PURGE /cache HTTP/1.1\r\n${H}\r\n`,
  TRACE: `TRACE / HTTP/1.1\r\n${H}\r\n`,
  PROPFIND: `PROPFIND /dav HTTP/1.1\r\n${H}Depth: 1\r\n\r\n`,
  'HTTP/1.0 without keep-alive': 'GET /old HTTP/1.0\r\nUser-Agent: ancient\r\n\r\n',
  'HTTP/1.0 with Connection: keep-alive': 'GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
  'HTTP/1.0 Keep-Alive, any case, with Host and a body': `POST /old HTTP/1.0\r\n${H}Connection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi`,
  'Connection: close': `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
  'Connection: Close among others': `GET / HTTP/1.1\r\n${H}Connection: X-Hop, Close\r\nX-Hop: 1\r\n\r\n`,
  'Set-Cookie repeated (array)': `GET / HTTP/1.1\r\n${H}Set-Cookie: a=1\r\nset-cookie: b=2\r\nSET-COOKIE: c=3\r\n\r\n`,
  'Cookie repeated (joined with ;)': `GET / HTTP/1.1\r\n${H}Cookie: a=1\r\nCookie: b=2; c=3\r\ncookie: d=4\r\n\r\n`,
  'first-wins fields, part 1': `GET / HTTP/1.1\r\n${H}Age: 1\r\nAge: 2\r\nAuthorization: a\r\nAuthorization: b\r\nContent-Type: text/a\r\nContent-Type: text/b\r\nETag: "1"\r\nETag: "2"\r\nExpires: x\r\nExpires: y\r\nFrom: a@x\r\nFrom: b@x\r\nIf-Modified-Since: m1\r\nIf-Modified-Since: m2\r\nIf-Unmodified-Since: u1\r\nIf-Unmodified-Since: u2\r\n\r\n`,
  'first-wins fields, part 2': `GET / HTTP/1.1\r\n${H}Last-Modified: l1\r\nLast-Modified: l2\r\nLocation: /1\r\nLocation: /2\r\nMax-Forwards: 1\r\nMax-Forwards: 2\r\nProxy-Authorization: p1\r\nProxy-Authorization: p2\r\nReferer: /r1\r\nReferer: /r2\r\nRetry-After: 1\r\nRetry-After: 2\r\nServer: s1\r\nServer: s2\r\nUser-Agent: u1\r\nUser-Agent: u2\r\n\r\n`,
  'joined fields (, )': `GET / HTTP/1.1\r\n${H}Accept: a/b\r\nAccept: c/d\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\nCache-Control: no-cache\r\ncache-control: no-store\r\nX-Custom: 1\r\nx-custom: 2\r\nX-CUSTOM: 3\r\nDate: d1\r\nDate: d2\r\nVary: a\r\nVary: b\r\n\r\n`,
  'a known name in three spellings': `GET / HTTP/1.1\r\n${H}ACCEPT: a\r\nAccept: b\r\naccept: c\r\nUSER-AGENT: u1\r\nUser-Agent: u2\r\nuser-agent: u3\r\nCOOKIE: a=1\r\nCookie: b=2\r\nX-REQUEST-ID: r1\r\nX-Request-Id: r2\r\n\r\n`,
  'upper-case names': `GET / HTTP/1.1\r\nHOST: Example.COM:8080\r\nACCEPT-ENCODING: GZIP\r\nX-REQUEST-ID: ABC\r\n\r\n`,
  'optional whitespace around values': `GET / HTTP/1.1\r\nHost:example.com\r\nX-A:   spaced   value \t \r\nX-B:\ttabbed\t\r\nX-C: a  b\tc\r\n\r\n`,
  'empty values, joined too': `GET / HTTP/1.1\r\n${H}X-Empty:\r\nX-Blank:    \r\nX-Twice:\r\nX-Twice: \r\nAccept:\r\n\r\n`,
  'empty Host': 'GET / HTTP/1.1\r\nHost:\r\n\r\n',
  'obs-text in values': `GET / HTTP/1.1\r\n${H}X-Latin: caf\xe9 cr\xe8me \xff\x80\r\nUser-Agent: \xc3\xa9\r\n\r\n`,
  'names Object.prototype has': `GET / HTTP/1.1\r\n${H}__proto__: polluted\r\nConstructor: c1\r\nconstructor: c2\r\nhasOwnProperty: h\r\n\r\n`,
  'leading empty lines': `\r\n\r\nGET /after-blank HTTP/1.1\r\n${H}\r\n`,
  'Expect: 100-continue': `POST /upload HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 4\r\n\r\ndata`,
  'Upgrade without Connection: upgrade is no upgrade': `GET /ws HTTP/1.1\r\n${H}Upgrade: websocket\r\n\r\n`,
  'Upgrade: websocket': `GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  'Upgrade: h2c among Connection options': `GET / HTTP/1.1\r\n${H}Connection: keep-alive, Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`,
  'CONNECT authority-form': 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
  'CONNECT to an IPv6 literal': 'CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n',
  'a hundred headers and a long value': `GET / HTTP/1.1\r\n${H}${Array.from({ length: 100 }, (_, i) => `X-H${i}: ${i}\r\n`).join('')}X-Long: ${'v'.repeat(8000)}\r\n\r\n`,
};

/** Refused by both parsers: what request smuggling and desync attacks are built from. */
const MALFORMED: Record<string, [string, string]> = {
  'two-digit minor version': [`GET / HTTP/1.10\r\n${H}\r\n`, 'BAD_REQUEST'],
  'version without minor': [`GET / HTTP/2\r\n${H}\r\n`, 'BAD_REQUEST'],
  'lower-case http': [`GET / http/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  'HTTP/1.2': [`GET / HTTP/1.2\r\n${H}\r\n`, 'VERSION_NOT_SUPPORTED'],
  'HTTP/11.1': [`GET / HTTP/11.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  'HTTP/2 preface': ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'VERSION_NOT_SUPPORTED'],
  'space after the version': [`GET / HTTP/1.1 \r\n${H}\r\n`, 'BAD_REQUEST'],
  'tab after the method': [`GET\t/ HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  'tab in the target': [`GET /a\tb HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  'NUL in the target': [`GET /\0 HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  'obs-text in the target': [`GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  'relative target': [`GET foo HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  'authority-form without CONNECT': [`GET example.com:80 HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  'bare LF ending the request line': [`GET / HTTP/1.1\n${H}\r\n`, 'BAD_REQUEST'],
  'bare LF ending a header': [`GET / HTTP/1.1\r\n${H}X-A: a\nContent-Length: 5\r\n\r\n`, 'BAD_REQUEST'],
  'bare CR inside a value': [`GET / HTTP/1.1\r\n${H}X-A: a\rContent-Length: 5\r\n\r\n`, 'BAD_REQUEST'],
  'obs-fold': [`GET / HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n`, 'BAD_REQUEST'],
  'obs-fold continuing Transfer-Encoding': [
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\tchunked\r\n\r\n0\r\n\r\n`,
    'BAD_REQUEST',
  ],
  'space before the colon': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`, 'BAD_REQUEST'],
  'tab before the colon': [`GET / HTTP/1.1\r\n${H}X-A\t: a\r\n\r\n`, 'BAD_REQUEST'],
  'empty name': [`GET / HTTP/1.1\r\n${H}: a\r\n\r\n`, 'BAD_REQUEST'],
  'line without colon': [`GET / HTTP/1.1\r\n${H}Broken\r\n\r\n`, 'BAD_REQUEST'],
  'separator in a name': [`GET / HTTP/1.1\r\n${H}X(a): a\r\n\r\n`, 'BAD_REQUEST'],
  'obs-text in a name': [`GET / HTTP/1.1\r\n${H}X\xe9: a\r\n\r\n`, 'BAD_REQUEST'],
  'NUL in a value': [`GET / HTTP/1.1\r\n${H}X-A: a\0b\r\n\r\n`, 'BAD_REQUEST'],
  'DEL in a value': [`GET / HTTP/1.1\r\n${H}X-A: a\x7fb\r\n\r\n`, 'BAD_REQUEST'],
  'VT in a value': [`GET / HTTP/1.1\r\n${H}X-A: a\x0bb\r\n\r\n`, 'BAD_REQUEST'],
  'ESC in a value': [`GET / HTTP/1.1\r\n${H}X-A: \x1b[31m\r\n\r\n`, 'BAD_REQUEST'],
  'Transfer-Encoding and Content-Length': [
    `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    'BAD_REQUEST',
  ],
  'Content-Length after Transfer-Encoding': [
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n`,
    'BAD_REQUEST',
  ],
  'Transfer-Encoding not ending in chunked': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, 'BAD_REQUEST'],
  'chunked, then gzip': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n`, 'BAD_REQUEST'],
  'chunked, then gzip in a second header': [
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n`,
    'BAD_REQUEST',
  ],
  'chunked twice': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n`, 'BAD_REQUEST'],
  'chunked with a parameter': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked;x=1\r\n\r\n0\r\n\r\n`, 'BAD_REQUEST'],
  'chunked, then an empty element': [
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n`,
    'BAD_REQUEST',
  ],
  xchunked: [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n`, 'BAD_REQUEST'],
  'conflicting Content-Lengths': [
    `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
    'BAD_REQUEST',
  ],
  'Content-Length list': [`POST / HTTP/1.1\r\n${H}Content-Length: 1, 1\r\n\r\na`, 'BAD_REQUEST'],
  'repeated identical Content-Length': [
    `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 1\r\n\r\na`,
    'BAD_REQUEST',
  ],
  'unknown method': [`FETCH / HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  'lower-case method': [`get / HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  'negative Content-Length': [`POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, 'BAD_REQUEST'],
  'signed Content-Length': [`POST / HTTP/1.1\r\n${H}Content-Length: +1\r\n\r\na`, 'BAD_REQUEST'],
  'empty Content-Length': [`POST / HTTP/1.1\r\n${H}Content-Length:\r\n\r\n`, 'BAD_REQUEST'],
  'hex Content-Length': [`POST / HTTP/1.1\r\n${H}Content-Length: 0x1\r\n\r\na`, 'BAD_REQUEST'],
  'Content-Length with an inner space': [`POST / HTTP/1.1\r\n${H}Content-Length: 1 2\r\n\r\n`, 'BAD_REQUEST'],
  'Content-Length of 20 digits': [`POST / HTTP/1.1\r\n${H}Content-Length: 99999999999999999999\r\n\r\n`, 'BAD_REQUEST'],
  'HTTP/1.1 without Host': ['GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 'BAD_REQUEST'],
  'head past 16 KiB': [`GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 'HEADERS_TOO_LARGE'],
};

/**
 * Where we and node:http part ways on purpose (Node 20.x, llhttp 9). Each is refused by us; Node
 * serves it (`accepted`) — we are the front of the system and what we let through is what the
 * services behind trust, so where the RFC allows refusing, we refuse.
 */
const STRICTER: Record<string, [string, string]> = {
  // RFC 9112 §3 has single spaces; a lenient split is how request-line desyncs start.
  'two spaces in the request line': [`GET  / HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  // Node serves these as HTTP/2.0 or 0.9 messages in HTTP/1.1 syntax; they are neither: 505.
  'HTTP/2.0 in an HTTP/1 request line': [`GET / HTTP/2.0\r\n${H}\r\n`, 'VERSION_NOT_SUPPORTED'],
  'HTTP/0.9 version': [`GET / HTTP/0.9\r\n${H}\r\n`, 'VERSION_NOT_SUPPORTED'],
  // An HTTP/0.9 simple request (no version); Node answers it, we have no 0.9 to speak.
  'HTTP/0.9 simple request': ['GET /\r\n\r\n', 'BAD_REQUEST'],
  // RFC 9112 §2.2 allows skipping empty lines, which are CRLF: a bare LF or CR is refused everywhere.
  'bare LF before the request line': [`\nGET / HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  'bare CR before the request line': [`\rGET / HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  // RFC 9112 §6.1: Transfer-Encoding in 1.0 must be treated as faulty framing; Node reads chunks.
  'Transfer-Encoding in HTTP/1.0': ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'BAD_REQUEST'],
  // An empty Transfer-Encoding names no framing; Node reads no body, a back end might read chunks.
  'empty Transfer-Encoding': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n\r\n`, 'BAD_REQUEST'],
  // RFC 9112 §3.2: a server MUST answer 400 to more than one Host; Node keeps the first.
  'two Host headers': ['GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n', 'BAD_REQUEST'],
  'two Host headers, spelled apart': ['GET / HTTP/1.1\r\nHOST: a.example\r\nhost: b.example\r\n\r\n', 'BAD_REQUEST'],
  // RFC 9112 §3.2.4: asterisk-form is for OPTIONS only.
  'GET *': [`GET * HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  // RFC 9112 §3.2.3 / RFC 9110 §9.3.6: CONNECT takes host:port, the port required.
  'CONNECT to a path': [`CONNECT /tunnel HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  'CONNECT without a port': [`CONNECT example.com HTTP/1.1\r\n${H}\r\n`, 'BAD_REQUEST'],
  // Node returns CONNECTs before its Host check; RFC 9112 §3.2 asks Host of every 1.1 request.
  'CONNECT without Host': ['CONNECT example.com:443 HTTP/1.1\r\n\r\n', 'BAD_REQUEST'],
  // Node counts to 2^64 and waits for that body; past 2^53 a JS number cannot count the bytes exactly.
  'Content-Length past 2^53': [`POST / HTTP/1.1\r\n${H}Content-Length: 9007199254740993\r\n\r\n`, 'BAD_REQUEST'],
  // Node keeps the first 2000 header lines and drops the rest silently; we refuse, nothing is lost unseen.
  'more than 2000 header lines': [`GET / HTTP/1.1\r\n${H}${'X-A: a\r\n'.repeat(2000)}\r\n`, 'HEADERS_TOO_LARGE'],
};

/**
 * The opposite: Node refuses, we accept. RFC 9110 §5.5 trims OWS around every field value,
 * Transfer-Encoding's too (such a request has a body, so node:http reads it after the hand-over
 * and refuses it there: the gateway as a whole still refuses it). And with HTTP/1.0
 * `Connection: keep-alive, close`, Node keeps the connection; we close it (close wins). Methods
 * llhttp does not know and repeated identical Content-Lengths, which RFC 9110 would let through,
 * are refused as llhttp refuses them (MALFORMED): the hand-over must never meet a parser that
 * refuses what the gateway's own accepted.
 */
const LENIENT: Record<string, string> = {
  'chunked with trailing OWS': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n`,
};

const onNode20 = process.versions.node.startsWith('20.');

describe('parseRequestHead against node:http', () => {
  it(`reads ${Object.keys(VALID).length} valid requests as node:http does`, async () => {
    expect(Object.keys(VALID).length).toBeGreaterThanOrEqual(30);
    for (const [name, raw] of Object.entries(VALID)) {
      const theirs = await node(raw);
      const parsed = parse(raw);
      expect(parsed, name).toBeDefined();
      const head = (parsed as { head: RequestHead }).head;
      expect(theirs.seen, `${name}: node served it`).toBeDefined();
      expect(
        { method: head.method, url: head.url, httpVersion: head.httpVersion, headers: head.headers },
        name,
      ).toStrictEqual({
        method: theirs.seen?.method,
        url: theirs.seen?.url,
        httpVersion: theirs.seen?.httpVersion,
        headers: theirs.seen?.headers,
      });
      expect(head.upgrade, `${name}: upgrade`).toBe(theirs.seen?.upgrade);
      if (!head.upgrade) expect(head.keepAlive ? 'keep-alive' : 'close', `${name}: keep-alive`).toBe(theirs.connection);
      expect(Object.getPrototypeOf(head.headers), name).toBe(Object.prototype);
    }
  });

  it(`refuses ${Object.keys(MALFORMED).length} malformed requests node:http refuses too`, async () => {
    expect(Object.keys(MALFORMED).length).toBeGreaterThanOrEqual(25);
    for (const [name, [raw, code]] of Object.entries(MALFORMED)) {
      expect(verdict(raw), name).toBe(code);
      // Node may call its handler before it finds the fault (a bad Transfer-Encoding is found once
      // the head is complete): what counts is that it answers 4xx or closes, never 200.
      const { status } = await node(raw);
      expect(status === 0 || status >= 400, `${name}: node answered ${status}`).toBe(true);
    }
  });

  it('is stricter than node:http where the RFC lets a server refuse', async () => {
    for (const [name, [raw, code]] of Object.entries(STRICTER)) {
      expect(verdict(raw), name).toBe(code);
      if (!onNode20) continue;
      // Served: its handler ran and no 4xx followed (it may still wait for a body it was promised).
      const theirs = await node(raw);
      expect(theirs.seen !== undefined && theirs.status < 400, `${name}: node serves it`).toBe(true);
    }
  });

  it('accepts what node:http refuses only where the RFC asks it to', async () => {
    for (const [name, raw] of Object.entries(LENIENT)) {
      expect(verdict(raw), name).toBe('parsed');
      if (onNode20) expect((await node(raw)).status, name).toBe(400);
    }
    expect(parse('GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n')?.head.keepAlive).toBe(false);
  });
});

describe('parseRequestHead', () => {
  it('tells the server how the body is framed and what the client expects', () => {
    expect(parse(`GET / HTTP/1.1\r\n${H}\r\n`)?.head).toMatchObject({
      contentLength: 0,
      chunked: false,
      expect: undefined,
      keepAlive: true,
      upgrade: false,
    });
    expect(parse(`POST / HTTP/1.1\r\n${H}Content-Length: 42\r\nExpect: 100-continue\r\n\r\n`)?.head).toMatchObject({
      contentLength: 42,
      chunked: false,
      expect: '100-continue',
    });
    expect(parse(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, CHUNKED\r\n\r\n`)?.head).toMatchObject({
      contentLength: -1,
      chunked: true,
    });
    expect(parse(`POST / HTTP/1.1\r\n${H}Content-Length: 9007199254740991\r\n\r\n`)?.head.contentLength).toBe(
      Number.MAX_SAFE_INTEGER,
    );
    expect(parse('CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n')?.head.upgrade).toBe(true);
    expect(parse(`GET / HTTP/1.1\r\n${H}Connection: upgrade\r\n\r\n`)?.head.upgrade).toBe(false);
  });

  it('never lets a header name reach the object prototype', () => {
    const headers = parse(`GET / HTTP/1.1\r\n${H}__proto__: {"polluted":1}\r\n__PROTO__: x\r\nconstructor: c\r\n\r\n`)
      ?.head.headers as IncomingHttpHeaders;
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers)).toEqual(['host', 'constructor']);
    expect(headers.constructor).toBe('c');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('waits for more bytes, one at a time, and then reads what a whole head reads', () => {
    for (const raw of [VALID['browser GET, mixed-case names'], VALID['leading empty lines'], VALID['PUT chunked']]) {
      const whole = bytes(raw as string);
      const expected = parseRequestHead(whole, 0, MAX);
      const end = expected?.end as number;
      for (let length = 0; length < end; length++) {
        expect(parseRequestHead(whole.subarray(0, length), 0, MAX), `${length} bytes`).toBeUndefined();
      }
      expect(parseRequestHead(whole.subarray(0, end), 0, MAX)).toStrictEqual(expected);
    }
  });

  it('refuses a bad head with the same code however much of it has arrived', () => {
    for (const [name, [raw, code]] of Object.entries({ ...MALFORMED, ...STRICTER })) {
      const whole = bytes(raw);
      for (let length = 0; length < whole.length; length++) {
        const partial = verdict(whole.subarray(0, length));
        if (partial !== 'incomplete') expect(partial, `${name}, ${length} bytes`).toBe(code);
      }
    }
  });

  it('refuses early what can never become a head', () => {
    // A TLS ClientHello on the plain port: its first byte starts no method.
    expect(verdict(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]))).toBe('BAD_REQUEST');
    // An HTTP/0.9 client waits for an answer after one line; it gets one.
    expect(verdict('GET /index.html\r\n')).toBe('BAD_REQUEST');
    expect(verdict('GET / HTTP/2.0\r\n')).toBe('VERSION_NOT_SUPPORTED');
    // LF-only line ends never make CRLFCRLF.
    expect(verdict('GET / HTTP/1.1\nHost: a\n')).toBe('BAD_REQUEST');
    expect(verdict('GET / HTTP/1.1\r\nHost: a\n\n')).toBe('BAD_REQUEST');
    expect(verdict('GET / HTTP/1.1\r\nHost: a\r\n')).toBe('incomplete');
  });

  it('reads pipelined requests one after another from `end`', () => {
    const first = `POST /1 HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\n`;
    const second = `GET /2 HTTP/1.1\r\n${H}\r\n`;
    const third = `\r\nGET /3 HTTP/1.0\r\n\r\n`;
    const buffer = bytes(`${first}hello${second}${third}GET /4 HT`);
    const one = parseRequestHead(buffer, 0, MAX);
    expect(one).toMatchObject({ head: { url: '/1', contentLength: 5 }, end: first.length });
    const two = parseRequestHead(buffer, (one?.end as number) + 5, MAX);
    expect(two).toMatchObject({ head: { url: '/2' }, end: first.length + 5 + second.length });
    const three = parseRequestHead(buffer, two?.end as number, MAX);
    expect(three).toMatchObject({ head: { url: '/3', httpVersion: '1.0', keepAlive: false } });
    expect(three?.end).toBe(first.length + 5 + second.length + third.length);
    expect(parseRequestHead(buffer, three?.end as number, MAX)).toBeUndefined();
  });

  it('holds heads to maxHeaderBytes, counted from offset, complete or not', () => {
    const raw = `GET / HTTP/1.1\r\n${H}X-Pad: ${'p'.repeat(100)}\r\n\r\n`;
    const size = raw.length;
    expect(verdict(raw, 0, size)).toBe('parsed');
    expect(verdict(raw, 0, size - 1)).toBe('HEADERS_TOO_LARGE');
    // Bytes before offset belong to an earlier request.
    const after = bytes(`${'x'.repeat(500)}${raw}`);
    expect(verdict(after, 500, size)).toBe('parsed');
    expect(verdict(after, 500, size - 1)).toBe('HEADERS_TOO_LARGE');
    // Unfinished: waits while no more than the limit has arrived, refuses once more has.
    const unfinished = raw.slice(0, -2);
    expect(verdict(unfinished, 0, unfinished.length)).toBe('incomplete');
    expect(verdict(unfinished, 0, unfinished.length - 1)).toBe('HEADERS_TOO_LARGE');
    // Empty lines before the request line count too: an endless stream of them is refused.
    expect(verdict('\r\n'.repeat(600), 0, 1000)).toBe('HEADERS_TOO_LARGE');
    expect(verdict('\r\n'.repeat(400), 0, 1000)).toBe('incomplete');
  });

  it('accepts 2000 header lines and refuses the 2001st', () => {
    expect(verdict(`GET / HTTP/1.1\r\n${H}${'X-A: a\r\n'.repeat(1999)}\r\n`, 0, 1 << 20)).toBe('parsed');
    expect(verdict(`GET / HTTP/1.1\r\n${H}${'X-A: a\r\n'.repeat(2000)}\r\n`, 0, 1 << 20)).toBe('HEADERS_TOO_LARGE');
  });
});
