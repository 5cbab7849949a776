/**
 * The request heads of the HTTP/1.1 differential (test/http1-smuggling.test.ts): malformed and
 * ambiguous framing, each with what the gateway must do with it. `{p}` stands for the vector's own
 * path prefix (`/api/rec/<tag>`), so every request, routed or smuggled, can be told apart in the
 * gateway's access log, the upstream's record and the reference server's.
 */

/** One vector: bytes and the gateway's expected outcome. */
export interface Vector {
  name: string;
  /** Sent as one write (and, for pipelines, split at every offset). */
  bytes: string;
  /** Paths (after `{p}`) of the requests the gateway routes upstream, in order. */
  routed: string[];
  /** The status the gateway refuses with after them, closing the connection. */
  refused?: 400 | 404 | 431 | 505;
  /**
   * The gateway refuses where llhttp accepts: why (each is a rule in docs/gateway.md). Without
   * it, llhttp must refuse too (with whatever status) and take the same requests.
   */
  stricter?: string;
}

/** Every vector's `{p}` is this long (`/api/rec/` and a four-character tag), so bodies can be sized. */
export const PREFIX_LENGTH = 13;
const HOST = 'Host: gw\r\n';
const SINGLE_SPACES = 'RFC 9112 §3: single spaces; a lenient split is how request-line desyncs start';

/** The byte length of `text` once `{p}` is replaced. */
const sized = (text: string) => text.replaceAll('{p}', 'p'.repeat(PREFIX_LENGTH)).length;
const CLOSE = 'Connection: close\r\n';

/** A request line and headers (each given without its CRLF), then the blank line and `body`. */
function head(line: string, headers: string[], body = ''): string {
  return `${line}\r\n${headers.map((header) => `${header}\r\n`).join('')}\r\n${body}`;
}

/** The last request of a vector: bodiless, and it closes the connection. */
const last = (path = '/last') => `GET {p}${path} HTTP/1.1\r\n${HOST}${CLOSE}\r\n`;

/** A request with a header line or a request line part that should be refused; closes otherwise. */
const withHeader = (header: string) => head('GET {p}/h HTTP/1.1', ['Host: gw', header, 'Connection: close']);
const post = (headers: string[], body: string) => head('POST {p}/post HTTP/1.1', ['Host: gw', ...headers], body);
const chunked = (body: string) => post(['Transfer-Encoding: chunked'], body);

const SMUGGLED = `GET {p}/smuggled HTTP/1.1\r\n${HOST}\r\n`;

const basics: Vector[] = [
  { name: 'a plain GET', bytes: last('/a'), routed: ['/a'] },
  { name: 'a GET with a query', bytes: `GET {p}/a?x=1&y=%20 HTTP/1.1\r\n${HOST}${CLOSE}\r\n`, routed: ['/a'] },
  { name: 'HTTP/1.0 without Host', bytes: 'GET {p}/a HTTP/1.0\r\n\r\n', routed: ['/a'] },
  { name: 'an empty line before the request line', bytes: `\r\n${last('/a')}`, routed: ['/a'] },
  {
    name: 'a POST with Content-Length',
    bytes: post(['Content-Length: 5'], 'hello') + last(),
    routed: ['/post', '/last'],
  },
  {
    name: 'Content-Length with leading zeros',
    bytes: post(['Content-Length: 005'], 'hello') + last(),
    routed: ['/post', '/last'],
  },
  {
    name: 'Content-Length with whitespace around it',
    bytes: post(['Content-Length: \t5 '], 'hello') + last(),
    routed: ['/post', '/last'],
  },
  {
    name: 'a GET with a body',
    bytes: head('GET {p}/get HTTP/1.1', [HOST.trim(), 'Content-Length: 3'], 'abc') + last(),
    routed: ['/get', '/last'],
  },
  { name: 'a chunked POST', bytes: chunked('5\r\nhello\r\n0\r\n\r\n') + last(), routed: ['/post', '/last'] },
  {
    name: 'Transfer-Encoding in capitals',
    bytes: post(['Transfer-Encoding: CHUNKED'], '5\r\nhello\r\n0\r\n\r\n') + last(),
    routed: ['/post', '/last'],
  },
  {
    name: 'a chunk extension',
    bytes: chunked('5;name=value\r\nhello\r\n0\r\n\r\n') + last(),
    routed: ['/post', '/last'],
  },
  {
    name: 'a quoted chunk extension',
    bytes: chunked('5;name="a b"\r\nhello\r\n0\r\n\r\n') + last(),
    routed: ['/post', '/last'],
  },
  {
    name: 'a trailer field',
    bytes: chunked('5\r\nhello\r\n0\r\nx-trailer: 1\r\n\r\n') + last(),
    routed: ['/post', '/last'],
  },
  {
    name: 'chunk sizes in upper case with zeros',
    bytes: chunked('00A\r\nhellohello\r\n0\r\n\r\n') + last(),
    routed: ['/post', '/last'],
  },
  {
    name: 'gzip then chunked',
    bytes: post(['Transfer-Encoding: gzip, chunked'], '5\r\nhello\r\n0\r\n\r\n') + last(),
    routed: ['/post', '/last'],
  },
  {
    name: 'Expect: 100-continue',
    bytes: post(['Content-Length: 5', 'Expect: 100-continue'], 'hello') + last(),
    routed: ['/post', '/last'],
  },
  { name: 'obs-text in a value', bytes: withHeader('X-Text: caf\xe9 \x80\xff'), routed: ['/h'] },
  { name: 'a header name with an underscore', bytes: withHeader('Transfer_Encoding: chunked'), routed: ['/h'] },
  { name: 'two GETs pipelined', bytes: `GET {p}/a HTTP/1.1\r\n${HOST}\r\n${last('/b')}`, routed: ['/a', '/b'] },
  {
    name: 'a GET then a POST pipelined',
    bytes: `GET {p}/a HTTP/1.1\r\n${HOST}\r\n${post(['Content-Length: 5', 'Connection: close'], 'hello')}`,
    routed: ['/a', '/post'],
  },
  {
    name: 'a request inside a Content-Length body',
    bytes: post([`Content-Length: ${sized(SMUGGLED)}`], SMUGGLED) + last(),
    routed: ['/post', '/last'],
  },
  {
    name: 'a request inside a chunked body',
    bytes: chunked(`${sized(SMUGGLED).toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`) + last(),
    routed: ['/post', '/last'],
  },
  { name: 'absolute-form', bytes: `GET http://gw{p}/abs HTTP/1.1\r\n${HOST}${CLOSE}\r\n`, routed: ['/abs'] },
  {
    name: 'absolute-form in capitals, with a port',
    bytes: `GET HTTP://GW:80{p}/abs HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
    routed: ['/abs'],
  },
  { name: 'absolute-form https', bytes: `GET https://gw{p}/abs?q=1 HTTP/1.1\r\n${HOST}${CLOSE}\r\n`, routed: ['/abs'] },
  { name: 'consecutive slashes', bytes: `GET {p}//a///b HTTP/1.1\r\n${HOST}${CLOSE}\r\n`, routed: ['/a/b'] },
  { name: 'a method llhttp knows', bytes: `PROPFIND {p}/dav HTTP/1.1\r\n${HOST}${CLOSE}\r\n`, routed: ['/dav'] },
];

/** Refused at the first request. */
const refuse = (name: string, bytes: string, refused: Vector['refused'] = 400, stricter?: string): Vector => ({
  name,
  bytes,
  routed: [],
  refused,
  ...(stricter === undefined ? {} : { stricter }),
});

const contentLength: Vector[] = [
  refuse('Content-Length twice, the same', post(['Content-Length: 5', 'Content-Length: 5'], 'hello') + last()),
  refuse(
    'Content-Length: 0 twice on a GET',
    head('GET {p}/get HTTP/1.1', ['Host: gw', 'Content-Length: 0', 'Content-Length: 0', 'Connection: close']),
  ),
  refuse('Content-Length twice, different', post(['Content-Length: 5', 'Content-Length: 6'], 'hello!') + last()),
  refuse('Content-Length as a list', post(['Content-Length: 5, 5'], 'hello') + last()),
  refuse('Content-Length with a plus', post(['Content-Length: +5'], 'hello') + last()),
  refuse('a negative Content-Length', post(['Content-Length: -5'], 'hello') + last()),
  refuse('Content-Length in hex', post(['Content-Length: 0x5'], 'hello') + last()),
  refuse('Content-Length with a space inside', post(['Content-Length: 1 2'], 'hello world!') + last()),
  refuse('an empty Content-Length', post(['Content-Length: '], '') + last()),
  refuse('Content-Length past 2^53', post(['Content-Length: 99999999999999999999'], 'hello') + last()),
  refuse('Content-Length with a vertical tab', post(['Content-Length: \x0b5'], 'hello') + last()),
  refuse('Content-Length with a decimal point', post(['Content-Length: 5.0'], 'hello') + last()),
  refuse('a space before the colon', post(['Content-Length : 5'], 'hello') + last()),
  refuse('Content-Length folded', post(['Content-Length:', ' 5'], 'hello') + last()),
  refuse(
    'Content-Length and Transfer-Encoding',
    post(['Content-Length: 6', 'Transfer-Encoding: chunked'], '0\r\n\r\nX') + last(),
  ),
  refuse(
    'Transfer-Encoding and Content-Length',
    post(['Transfer-Encoding: chunked', 'Content-Length: 6'], '0\r\n\r\nX') + last(),
  ),
  refuse(
    'Transfer-Encoding and Content-Length: 0',
    post(['Transfer-Encoding: chunked', 'Content-Length: 0'], '0\r\n\r\n') + last(),
  ),
  refuse('CL.TE smuggling', post(['Content-Length: 13', 'Transfer-Encoding: chunked'], `0\r\n\r\nSMUGGLED`) + last()),
  refuse('an obfuscated TE beside CL', post(['Content-Length: 5', 'Transfer-Encoding: xchunked'], 'hello') + last()),
];

const transferEncoding: Vector[] = [
  refuse('chunked, then gzip', post(['Transfer-Encoding: chunked, gzip'], '5\r\nhello\r\n0\r\n\r\n') + last()),
  refuse('identity', post(['Transfer-Encoding: identity'], 'hello') + last()),
  refuse('xchunked', post(['Transfer-Encoding: xchunked'], '5\r\nhello\r\n0\r\n\r\n') + last()),
  refuse(
    'chunked twice in one header',
    post(['Transfer-Encoding: chunked, chunked'], '5\r\nhello\r\n0\r\n\r\n') + last(),
  ),
  refuse(
    'chunked in two headers',
    post(['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], '5\r\nhello\r\n0\r\n\r\n') + last(),
  ),
  refuse('"chunked" quoted', post(['Transfer-Encoding: "chunked"'], '5\r\nhello\r\n0\r\n\r\n') + last()),
  refuse('chunked with a vertical tab', post(['Transfer-Encoding: \x0bchunked'], '5\r\nhello\r\n0\r\n\r\n') + last()),
  refuse('Transfer-Encoding folded', post(['Transfer-Encoding:', ' chunked'], '5\r\nhello\r\n0\r\n\r\n') + last()),
  refuse('a space before the colon', post(['Transfer-Encoding : chunked'], '5\r\nhello\r\n0\r\n\r\n') + last()),
  refuse(
    'Transfer-Encoding in HTTP/1.0',
    head('POST {p}/post HTTP/1.0', ['Transfer-Encoding: chunked'], '5\r\nhello\r\n0\r\n\r\n'),
    400,
    'RFC 9112 §6.1: its framing is faulty; llhttp reads chunks',
  ),
  refuse('a chunk size that is not hex', chunked('g\r\nhello\r\n0\r\n\r\n') + last()),
  refuse('a negative chunk size', chunked('-5\r\nhello\r\n0\r\n\r\n') + last()),
  refuse('a chunk size in 0x', chunked('0x5\r\nhello\r\n0\r\n\r\n') + last()),
  refuse('a chunk size with a plus', chunked('+5\r\nhello\r\n0\r\n\r\n') + last()),
  refuse('a chunk size past 64 bits', chunked('fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n') + last()),
  refuse('an empty chunk size', chunked('\r\nhello\r\n0\r\n\r\n') + last()),
  refuse('a chunk size ended by a bare LF', chunked('5\nhello\r\n0\r\n\r\n') + last()),
  refuse('chunk data longer than its size', chunked('3\r\nhello\r\n0\r\n\r\n') + last()),
  refuse('a chunk extension with a bare LF', chunked('5;a\nb\r\nhello\r\n0\r\n\r\n') + last()),
];

const lineEnds: Vector[] = [
  refuse('obs-fold', withHeader('X-A: 1\r\n 2')),
  refuse('obs-fold with a tab', withHeader('X-A: 1\r\n\t2')),
  refuse('LF-only line ends', `GET {p}/a HTTP/1.1\n${HOST.trim()}\n${CLOSE.trim()}\n\n`),
  refuse('a bare LF in a header line', withHeader('X-A: 1\nX-B: 2')),
  refuse('a bare CR in a header value', withHeader('X-A: 1\rX-B: 2')),
  refuse('a bare CR ending the request line', `GET {p}/a HTTP/1.1\r${HOST}${CLOSE}\r\n`),
  refuse('a bare LF ending the request line', `GET {p}/a HTTP/1.1\n${HOST}${CLOSE}\r\n`),
  refuse('a CR before CRLF', `GET {p}/a HTTP/1.1\r\r\n${HOST}${CLOSE}\r\n`),
  refuse('NUL in a header value', withHeader('X-A: a\0b')),
  refuse('NUL in a header name', withHeader('X\0A: 1')),
  refuse('NUL in the target', `GET {p}/a\0b HTTP/1.1\r\n${HOST}${CLOSE}\r\n`),
  refuse('a control byte in a value', withHeader('X-A: a\x01b')),
  refuse('DEL in a value', withHeader('X-A: a\x7fb')),
  refuse('a vertical tab in a value', withHeader('X-A: a\x0bb')),
  refuse('a form feed in a value', withHeader('X-A: a\x0cb')),
  refuse('an empty header name', withHeader(': x')),
  refuse('a space in a header name', withHeader('X A: 1')),
  refuse('a parenthesis in a header name', withHeader('X(A): 1')),
  refuse('a byte above 127 in a header name', withHeader('X\xe9: 1')),
  refuse('a line without a colon', withHeader('X-A 1')),
];

const requestLines: Vector[] = [
  refuse('two spaces after the method', `GET  {p}/a HTTP/1.1\r\n${HOST}${CLOSE}\r\n`, 400, SINGLE_SPACES),
  refuse('two spaces before the version', `GET {p}/a  HTTP/1.1\r\n${HOST}${CLOSE}\r\n`, 400, SINGLE_SPACES),
  refuse('a tab as separator', `GET\t{p}/a HTTP/1.1\r\n${HOST}${CLOSE}\r\n`),
  refuse('a space before CRLF', `GET {p}/a HTTP/1.1 \r\n${HOST}${CLOSE}\r\n`),
  refuse('a lower-case version', `GET {p}/a http/1.1\r\n${HOST}${CLOSE}\r\n`),
  refuse('no version', `GET {p}/a\r\n${HOST}${CLOSE}\r\n`, 400, 'llhttp reads it as HTTP/0.9; the gateway speaks 1.x'),
  refuse('a space in the target', `GET {p}/a b HTTP/1.1\r\n${HOST}${CLOSE}\r\n`),
  refuse('a byte above 127 in the target', `GET {p}/caf\xe9 HTTP/1.1\r\n${HOST}${CLOSE}\r\n`),
  refuse('a method llhttp does not know', `FETCH {p}/a HTTP/1.1\r\n${HOST}${CLOSE}\r\n`),
  refuse('a lower-case method', `get {p}/a HTTP/1.1\r\n${HOST}${CLOSE}\r\n`),
  refuse('a method with a slash', `G/T {p}/a HTTP/1.1\r\n${HOST}${CLOSE}\r\n`),
  // llhttp answers these 400 (or closes, for the preface); the gateway names the version (505).
  refuse('HTTP/2.0', `GET {p}/a HTTP/2.0\r\n${HOST}${CLOSE}\r\n`, 505, 'llhttp serves 2.0 in 1.1 syntax'),
  refuse('HTTP/1.2', `GET {p}/a HTTP/1.2\r\n${HOST}${CLOSE}\r\n`, 505),
  refuse('an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505),
  refuse('HTTP/1.1 without Host', `GET {p}/a HTTP/1.1\r\n${CLOSE}\r\n`),
  refuse(
    'two Host headers',
    `GET {p}/a HTTP/1.1\r\n${HOST}${HOST}${CLOSE}\r\n`,
    400,
    'RFC 9112 §3.2: a server must refuse it',
  ),
  refuse('* with GET', `GET * HTTP/1.1\r\n${HOST}${CLOSE}\r\n`, 400, 'RFC 9112 §3.2.4: * is for OPTIONS only'),
  refuse(
    'absolute-form with userinfo',
    `GET http://user@gw{p}/a HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
    400,
    'RFC 9110 §4.2.4: userinfo is refused',
  ),
  refuse(
    'absolute-form with another scheme',
    `GET ftp://gw{p}/a HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
    400,
    'the gateway serves http and https only',
  ),
  refuse(
    'absolute-form without an authority',
    `GET http://{p}/a HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
    400,
    'RFC 9110 §4.2.1: an http URI has a host',
  ),
  refuse('a head over 16 KiB', withHeader(`X-Big: ${'b'.repeat(17 * 1024)}`), 431),
];

/** A valid request, then a refused one: the first is answered (in order), then the refusal. */
const afterOne = (name: string, first: string, firstPath: string, second: string): Vector => ({
  name,
  bytes: first + second,
  routed: [firstPath],
  refused: 400,
});
const bad = `GET {p}/bad HTTP/1.1\r\n${HOST}X-A: 1\r\n 2\r\n\r\n`;

const pipelinedRefusals: Vector[] = [
  afterOne('a GET, then obs-fold', `GET {p}/a HTTP/1.1\r\n${HOST}\r\n`, '/a', bad),
  afterOne('a POST, then obs-fold', post(['Content-Length: 5'], 'hello'), '/post', bad),
  afterOne('a chunked POST, then obs-fold', chunked('5\r\nhello\r\n0\r\n\r\n'), '/post', bad),
  afterOne(
    'a POST, then a bare LF',
    post(['Content-Length: 5'], 'hello'),
    '/post',
    `GET {p}/bad HTTP/1.1\n${HOST}\r\n`,
  ),
  afterOne(
    'a POST, then CL and TE',
    post(['Content-Length: 5'], 'hello'),
    '/post',
    post(['Content-Length: 5', 'Transfer-Encoding: chunked'], '0\r\n\r\n'),
  ),
  afterOne(
    'a POST, then a Transfer_Encoding body read as a head',
    post(['Transfer_Encoding: chunked', 'Content-Length: 0'], ''),
    '/post',
    '5\r\nhello\r\n0\r\n\r\n',
  ),
];

/** Every vector sent in one write. */
export const VECTORS: readonly Vector[] = [
  ...basics,
  ...contentLength,
  ...transferEncoding,
  ...lineEnds,
  ...requestLines,
  ...pipelinedRefusals,
];

/** Pipelines that are split at every byte offset (two writes, the second once the first was read). */
export const SPLIT_VECTORS: readonly Vector[] = [
  { name: 'two GETs', bytes: `GET {p}/a HTTP/1.1\r\n${HOST}\r\n${last('/b')}`, routed: ['/a', '/b'] },
  { name: 'a POST, then a GET', bytes: post(['Content-Length: 5'], 'hello') + last(), routed: ['/post', '/last'] },
  {
    name: 'a chunked POST, then a GET',
    bytes: chunked('5\r\nhello\r\n0\r\n\r\n') + last(),
    routed: ['/post', '/last'],
  },
  afterOne('a POST, then obs-fold', post(['Content-Length: 5'], 'hello'), '/post', bad),
];
