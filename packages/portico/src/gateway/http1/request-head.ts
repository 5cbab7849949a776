import { type IncomingHttpHeaders, METHODS } from 'node:http';

/**
 * A parsed request head: what the server needs to route, frame the body and answer, with the
 * headers as `node:http` would have given them.
 *
 * @example
 * ```ts
 * const parsed = parseRequestHead(buffer, 0, 16 * 1024);
 * if (parsed !== undefined && parsed.head.expect === '100-continue') socket.write('HTTP/1.1 100 Continue\r\n\r\n');
 * ```
 */
export interface RequestHead {
  /** As sent: a token, case-sensitive (`GET`, `POST`, `PROPFIND`, …). */
  method: string;
  /**
   * The request-target as sent: origin-form (`/a?b`), `*` (OPTIONS only), absolute-form
   * (`http://h/p`), or authority-form (`h:443`, CONNECT only).
   */
  url: string;
  httpVersion: '1.0' | '1.1';
  /**
   * Exactly what `IncomingMessage.headers` holds for the same bytes: lower-case names, `set-cookie`
   * an array, the first of a single-valued field kept, `cookie` joined with `; `, others with `, `.
   */
  headers: IncomingHttpHeaders;
  /** HTTP/1.1: unless `Connection` lists `close`; HTTP/1.0: only if it lists `keep-alive` (and not `close`). */
  keepAlive: boolean;
  /** The body's length from `Content-Length`; 0 when there is no body; -1 when it is chunked. */
  contentLength: number;
  /** `Transfer-Encoding` ends in `chunked` (any other ending is refused). */
  chunked: boolean;
  /** The `Expect` header's value, if any: the server answers `100-continue` or 417. */
  expect: string | undefined;
  /** An `Upgrade` header with `upgrade` among the `Connection` options, or a CONNECT. */
  upgrade: boolean;
}

/**
 * Why a request head was refused: `HEADERS_TOO_LARGE` is answered with 431, `BAD_REQUEST` with
 * 400, `VERSION_NOT_SUPPORTED` with 505; the connection is closed after each.
 */
export type RequestParseErrorCode = 'HEADERS_TOO_LARGE' | 'BAD_REQUEST' | 'VERSION_NOT_SUPPORTED';

/**
 * A request head that can never be valid, with a stable `code`.
 *
 * @example
 * ```ts
 * throw new RequestParseError('BAD_REQUEST', 'header value holds control characters');
 * ```
 */
export class RequestParseError extends Error {
  override readonly name = 'RequestParseError';

  constructor(
    readonly code: RequestParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// The byte tables and helpers below are this parser's own, not imported from a shared module:
// an imported binding is read through its module cell on every use, and in these per-byte loops
// that made both parsers 7-10 % slower (bench/head-parsers.mjs, measured 2026-12).
/** The methods llhttp knows; any other token is refused, as node:http refuses it. */
const LLHTTP_METHODS: ReadonlySet<string> = new Set(METHODS);
/** Node's own default `maxHeadersCount`; past it Node drops headers silently, we refuse the request. */
const MAX_HEADER_LINES = 2000;
const HEAD_END = Buffer.from('\r\n\r\n');
const LF_LF = Buffer.from('\n\n');
/** 1 for the bytes an RFC 9110 token (a method, a header name) may hold. */
const TOKEN = byteTable((byte) => byte < 128 && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(String.fromCharCode(byte)));
/** 1 for the bytes a request-target may hold: visible ASCII. */
const TARGET = byteTable((byte) => byte >= 0x21 && byte <= 0x7e);
/** 1 for the bytes a field value may hold: tab, space, visible ASCII, obs-text. */
const FIELD_VALUE = byteTable((byte) => byte === 9 || (byte >= 32 && byte !== 127));
/** 1 for the bytes of a URI scheme after its first letter. */
const SCHEME = byteTable((byte) => byte < 128 && /[A-Za-z0-9+\-.]/.test(String.fromCharCode(byte)));

/** How repeated fields are combined (Node 20's `matchKnownFields`), and the two we check as we go. */
enum Kind {
  Join,
  First,
  Cookie,
  SetCookie,
  Host,
  ContentLength,
}

interface KnownName {
  lower: string;
  title: string;
  kind: Kind;
  /** One of 31 bits: whether a head already holds the name, known without a property look-up. */
  bit: number;
}

/** Names most requests carry, by length: the lower-case form and the one clients usually send. */
const KNOWN_NAMES: (KnownName[] | undefined)[] = [];
let knownCount = 0;
for (const title of [
  'Host',
  'User-Agent',
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Authorization',
  'Connection',
  'Content-Type',
  'Content-Length',
  'Transfer-Encoding',
  'Cookie',
  'Referer',
  'Origin',
  'Cache-Control',
  'Pragma',
  'Expect',
  'Upgrade',
  'If-None-Match',
  'If-Modified-Since',
  'X-Forwarded-For',
  'X-Forwarded-Proto',
  'X-Forwarded-Host',
  'X-Request-Id',
  'X-Real-IP',
  'Traceparent',
  'Sec-Fetch-Site',
  'Sec-Fetch-Mode',
  'Sec-Fetch-Dest',
]) {
  const lower = title.toLowerCase();
  const sameLength = KNOWN_NAMES[title.length] ?? [];
  KNOWN_NAMES[title.length] = sameLength;
  sameLength.push({ lower, title, kind: kindOf(lower), bit: 1 << knownCount++ });
}

/**
 * Parses one request head starting at `offset` (leading empty lines skipped, as RFC 9112 §2.2
 * allows). Returns the head and `end`, the offset just past its blank line, once the head is
 * complete; `undefined` while more bytes are needed. Throws {@link RequestParseError} when the
 * bytes can never be a valid head, or when more than `maxHeaderBytes` bytes (counted from
 * `offset`) have arrived without the head ending. Stateless: the caller keeps the unparsed bytes
 * and calls again with more.
 *
 * It is strict where leniency lets a request smuggle another past the gateway: single spaces in
 * the request line, CRLF only, no obs-fold, token names, no controls in values, one framing
 * (never both `Transfer-Encoding` and `Content-Length`, chunked last, one `Content-Length` only),
 * exactly one `Host` in HTTP/1.1, and only the methods llhttp knows. The target is returned as
 * sent; the server makes it origin-form (see `routeTarget`).
 *
 * @example
 * ```ts
 * let pending = Buffer.alloc(0);
 * socket.on('data', (chunk) => {
 *   pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
 *   const parsed = parseRequestHead(pending, 0, 16 * 1024);
 *   if (parsed === undefined) return;
 *   serve(parsed.head, pending.subarray(parsed.end));
 * });
 * ```
 */
export function parseRequestHead(
  buffer: Buffer,
  offset: number,
  maxHeaderBytes: number,
): { head: RequestHead; end: number } | undefined {
  let start = offset;
  while (buffer[start] === 13) {
    if (start + 1 === buffer.length) return incomplete(buffer, offset, start, maxHeaderBytes);
    if (buffer[start + 1] !== 10) bad('a bare CR before the request line');
    start += 2;
  }
  const headEnd = buffer.indexOf(HEAD_END, start);
  if (headEnd === -1) return incomplete(buffer, offset, start, maxHeaderBytes);
  const end = headEnd + 4;
  if (end - offset > maxHeaderBytes) tooLarge();
  // Up to and with the CRLF of the last line, copied once for the names and values to be sliced
  // from (each call into Node's C++ costs more than a slice). The long scans read the buffer's
  // bytes (cheaper than charCodeAt), at the same index plus `start`; each stops at the CRLF that
  // ends every line, so none runs past the head.
  const text = latin1(buffer, start, headEnd + 2);
  const line = requestLine(text);
  let i = line.next;
  const length = text.length;
  const headers: IncomingHttpHeaders = {};
  let lines = 0;
  let contentLength = -1;
  /** One bit per known name already met. */
  let seen = 0;
  while (i < length) {
    if (++lines > MAX_HEADER_LINES) tooLarge();
    // Name: token characters up to the colon; a line starting with whitespace (obs-fold) has none.
    const nameStart = i;
    let upper = false;
    for (let code = buffer[start + i] as number; TOKEN[code] === 1; code = buffer[start + ++i] as number) {
      if (code <= 90 && code >= 65) upper = true;
    }
    if (i === nameStart || text.charCodeAt(i) !== 58) bad('a header line is malformed');
    let name: string | undefined;
    let kind = Kind.Join;
    let bit = 0;
    // A common name, as clients spell it, becomes its interned lower-case constant without a
    // string being made, lower-cased, then looked up again when it becomes a property key.
    const known = KNOWN_NAMES[i - nameStart];
    if (known !== undefined) {
      for (let k = 0; k < known.length; k++) {
        const candidate = known[k] as KnownName;
        if (text.startsWith(candidate.lower, nameStart) || text.startsWith(candidate.title, nameStart)) {
          ({ lower: name, kind, bit } = candidate);
          break;
        }
      }
    }
    if (name === undefined) {
      name = upper ? text.slice(nameStart, i).toLowerCase() : text.slice(nameStart, i);
      kind = kindOf(name);
      // Another spelling of a known name ("HOST") shares its bit.
      if (upper && known !== undefined) {
        for (const candidate of known) if (candidate.lower === name) bit = candidate.bit;
      }
    }
    i++;
    for (let code = text.charCodeAt(i); code === 32 || code === 9; code = text.charCodeAt(++i));
    const valueStart = i;
    while (FIELD_VALUE[buffer[start + i] as number] === 1) i++;
    // Anything else before the CRLF (NUL, a bare CR or LF, DEL, a control) ends the head here.
    if (text.charCodeAt(i) !== 13 || text.charCodeAt(i + 1) !== 10) bad('a header value holds control characters');
    let valueEnd = i;
    for (let code = text.charCodeAt(valueEnd - 1); valueEnd > valueStart && (code === 32 || code === 9); ) {
      code = text.charCodeAt(--valueEnd - 1);
    }
    const value = text.slice(valueStart, valueEnd);
    i += 2;
    // Nothing to look up the first time a known name is met: its bit says it is new. Own
    // properties only: a "__proto__" header is dropped (as Node's plain-object assignment does),
    // and an inherited "constructor" counts as absent, so nothing reaches Object.prototype.
    const prior = bit !== 0 && (seen & bit) === 0 ? undefined : headers[name];
    seen |= bit;
    switch (kind) {
      case Kind.Join:
        if (typeof prior === 'string') headers[name] = `${prior}, ${value}`;
        else if (name !== '__proto__') headers[name] = value;
        break;
      case Kind.First:
        if (prior === undefined) headers[name] = value;
        break;
      case Kind.Cookie:
        headers.cookie = prior === undefined ? value : `${prior}; ${value}`;
        break;
      case Kind.SetCookie:
        if (prior === undefined) headers['set-cookie'] = [value];
        else (prior as string[]).push(value);
        break;
      case Kind.Host:
        if (prior !== undefined) bad('more than one Host header');
        headers.host = value;
        break;
      case Kind.ContentLength: {
        // Even a repeat of the same value: llhttp refuses it, and a hand-over would meet llhttp.
        if (contentLength !== -1) bad('more than one Content-Length header');
        contentLength = decimal(value);
        headers['content-length'] = value;
        break;
      }
    }
  }
  const http10 = line.version === '1.0';
  if (!http10 && headers.host === undefined) bad('an HTTP/1.1 request without a Host header');
  const encoding = headers['transfer-encoding'];
  let chunked = false;
  if (encoding !== undefined) {
    if (contentLength !== -1) bad('both Transfer-Encoding and Content-Length');
    if (http10) bad('Transfer-Encoding in an HTTP/1.0 request');
    if (!endsInChunked(encoding)) bad('Transfer-Encoding does not end in chunked');
    chunked = true;
  } else if (contentLength === -1) contentLength = 0;
  const connection = headers.connection;
  let close = false;
  let keepAliveListed = false;
  let upgradeListed = false;
  if (connection !== undefined) {
    for (const option of connectionOptions(connection.toLowerCase())) {
      if (option === 'close') close = true;
      else if (option === 'keep-alive') keepAliveListed = true;
      else if (option === 'upgrade') upgradeListed = true;
    }
  }
  return {
    head: {
      method: line.method,
      url: line.url,
      httpVersion: line.version,
      headers,
      // Close wins over keep-alive when both are listed, in either version.
      keepAlive: !close && (!http10 || keepAliveListed),
      contentLength,
      chunked,
      expect: headers.expect,
      upgrade: line.method === 'CONNECT' || (upgradeListed && headers.upgrade !== undefined),
    },
    end,
  };
}

/**
 * The head has not ended yet: refuses it when it is already too large, or when what has arrived
 * already rules it out (a first byte that starts no method, as in a TLS handshake; a request line
 * that is not HTTP/1.x, as from an HTTP/0.9 client that waits for an answer after one line; LF-only
 * line ends, whose blank line is never CRLFCRLF). These checks read a few bytes and leave the
 * scanning to native `indexOf`, since a slow client calls this once per packet.
 */
function incomplete(buffer: Buffer, offset: number, start: number, maxHeaderBytes: number): undefined {
  if (buffer.length - offset > maxHeaderBytes) tooLarge();
  // Nothing yet, or the CR of an empty line before the request line.
  if (start >= buffer.length || buffer[start] === 13) return undefined;
  if (TOKEN[buffer[start] as number] !== 1) bad('the request line does not start with a method');
  const lf = buffer.indexOf(10, start);
  if (lf === -1) return undefined;
  // Any request line not ending in " HTTP/1.x\r\n" fails the full check, which says how.
  if (!endsInVersion(buffer, lf)) requestLine(latin1(buffer, start, lf + 1));
  if (buffer.indexOf(LF_LF, lf) !== -1) bad('a header line ends in a bare LF');
  return undefined;
}

function endsInVersion(buffer: Buffer, lf: number): boolean {
  const at = lf - 10;
  return (
    at >= 0 &&
    buffer[lf - 1] === 13 &&
    (buffer[lf - 2] === 49 || buffer[lf - 2] === 48) &&
    buffer[at] === 32 &&
    latin1(buffer, at + 1, lf - 2) === 'HTTP/1.'
  );
}

interface RequestLine {
  method: string;
  url: string;
  version: '1.0' | '1.1';
  /** Where the first header line starts. */
  next: number;
}

/** `method SP request-target SP HTTP-version CRLF`, with single spaces (RFC 9112 §3). */
function requestLine(text: string): RequestLine {
  let i = 0;
  while (TOKEN[text.charCodeAt(i)] === 1) i++;
  if (i === 0 || text.charCodeAt(i) !== 32) bad('the method is not a token followed by one space');
  const method = knownMethod(text, i);
  const targetStart = ++i;
  while (TARGET[text.charCodeAt(i)] === 1) i++;
  if (i === targetStart || text.charCodeAt(i) !== 32)
    bad('the request-target is not visible ASCII followed by one space');
  const url = text.slice(targetStart, i);
  i++;
  if (text.charCodeAt(i + 8) !== 13 || text.charCodeAt(i + 9) !== 10) {
    bad('the request line does not end in an HTTP version and CRLF');
  }
  let version: '1.0' | '1.1';
  if (text.startsWith('HTTP/1.1', i)) version = '1.1';
  else if (text.startsWith('HTTP/1.0', i)) version = '1.0';
  else {
    const other = text.slice(i, i + 8);
    if (!/^HTTP\/\d\.\d$/.test(other)) bad('the request line does not end in an HTTP version and CRLF');
    throw new RequestParseError('VERSION_NOT_SUPPORTED', `${other} is not supported; send HTTP/1.1`);
  }
  // After the version, so that an HTTP/2 preface ("PRI * HTTP/2.0") is told 505, not 400.
  // llhttp's fixed list (node:http's METHODS): a request with a body goes to llhttp, which would
  // refuse any other; one without must not be served where the same request with a body is not.
  if (!LLHTTP_METHODS.has(method)) bad('a method llhttp does not know');
  checkTargetForm(method, url);
  return { method, url, version, next: i + 10 };
}

/** The four forms of RFC 9112 §3.2, each only where it belongs. */
function checkTargetForm(method: string, url: string): void {
  const first = url.charCodeAt(0);
  if (method === 'CONNECT') {
    // authority-form, host ":" port: the port is required, a path is not allowed.
    const colon = url.lastIndexOf(':');
    if (
      first === 47 ||
      colon <= 0 ||
      colon === url.length - 1 ||
      /[/?#@]/.test(url) ||
      !/^\d+$/.test(url.slice(colon + 1))
    ) {
      bad('CONNECT needs a host:port target');
    }
    return;
  }
  if (first === 47) return;
  if (url === '*') {
    if (method !== 'OPTIONS') bad('only OPTIONS may target *');
    return;
  }
  // absolute-form: a scheme (a letter, then letters, digits, "+", "-", ".") and "://"; without
  // the slashes "host:80" would pass for a scheme and a path.
  let i = 1;
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122))) bad('the request-target is in no known form');
  while (SCHEME[url.charCodeAt(i)] === 1) i++;
  if (url.charCodeAt(i) !== 58 || url.charCodeAt(i + 1) !== 47 || url.charCodeAt(i + 2) !== 47) {
    bad('the request-target is in no known form');
  }
}

/** The method as an interned constant when it is a common one, saving a string per request. */
function knownMethod(text: string, length: number): string {
  switch (length) {
    case 3:
      if (text.startsWith('GET')) return 'GET';
      if (text.startsWith('PUT')) return 'PUT';
      break;
    case 4:
      if (text.startsWith('POST')) return 'POST';
      if (text.startsWith('HEAD')) return 'HEAD';
      break;
    case 5:
      if (text.startsWith('PATCH')) return 'PATCH';
      break;
    case 6:
      if (text.startsWith('DELETE')) return 'DELETE';
      break;
    case 7:
      if (text.startsWith('OPTIONS')) return 'OPTIONS';
      if (text.startsWith('CONNECT')) return 'CONNECT';
      break;
  }
  return text.slice(0, length);
}

/** How Node 20 combines repeats of a lower-case field name (lib/_http_incoming.js `matchKnownFields`). */
function kindOf(name: string): Kind {
  switch (name.length) {
    case 3:
      return name === 'age' ? Kind.First : Kind.Join;
    case 4:
      if (name === 'host') return Kind.Host;
      return name === 'from' || name === 'etag' ? Kind.First : Kind.Join;
    case 6:
      if (name === 'cookie') return Kind.Cookie;
      return name === 'server' ? Kind.First : Kind.Join;
    case 7:
      return name === 'referer' || name === 'expires' ? Kind.First : Kind.Join;
    case 8:
      return name === 'location' ? Kind.First : Kind.Join;
    case 10:
      if (name === 'set-cookie') return Kind.SetCookie;
      return name === 'user-agent' ? Kind.First : Kind.Join;
    case 11:
      return name === 'retry-after' ? Kind.First : Kind.Join;
    case 12:
      return name === 'content-type' || name === 'max-forwards' ? Kind.First : Kind.Join;
    case 13:
      return name === 'authorization' || name === 'last-modified' ? Kind.First : Kind.Join;
    case 14:
      return name === 'content-length' ? Kind.ContentLength : Kind.Join;
    case 17:
      return name === 'if-modified-since' ? Kind.First : Kind.Join;
    case 19:
      return name === 'proxy-authorization' || name === 'if-unmodified-since' ? Kind.First : Kind.Join;
    default:
      return Kind.Join;
  }
}

/** A `Content-Length` value: 1*DIGIT, within a safe integer (no sign, no list, no spaces). */
function decimal(value: string): number {
  const length = value.length;
  if (length === 0 || length > 16) bad('Content-Length is not a number');
  let result = 0;
  for (let i = 0; i < length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) bad('Content-Length is not a number');
    result = result * 10 + digit;
  }
  if (result > Number.MAX_SAFE_INTEGER) bad('Content-Length is too large');
  return result;
}

/**
 * Chunked last and only once (RFC 9112 §6.1), case-insensitive, over the joined list of every
 * Transfer-Encoding header; an empty element is ignored except as the last, which must be chunked.
 */
function endsInChunked(encoding: string): boolean {
  const codings = encoding.toLowerCase();
  if (codings === 'chunked') return true;
  const list = codings.split(',');
  for (let i = 0; i < list.length; i++) {
    const coding = (list[i] as string).trim();
    if ((coding === 'chunked') !== (i === list.length - 1)) return false;
  }
  return true;
}

const KEEP_ALIVE: readonly string[] = ['keep-alive'];
const CLOSE: readonly string[] = ['close'];
const UPGRADE: readonly string[] = ['upgrade'];

/** The options of a lower-cased `Connection` value (the usual single ones without splitting). */
function connectionOptions(value: string): readonly string[] {
  if (value === 'keep-alive') return KEEP_ALIVE;
  if (value === 'close') return CLOSE;
  if (value === 'upgrade') return UPGRADE;
  return value.split(',').map((option) => option.trim());
}

function bad(what: string): never {
  throw new RequestParseError('BAD_REQUEST', `bad request: ${what}`);
}

function tooLarge(): never {
  throw new RequestParseError('HEADERS_TOO_LARGE', 'the request head is too large');
}

function byteTable(allowed: (byte: number) => boolean): Uint8Array {
  const table = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) table[byte] = allowed(byte) ? 1 : 0;
  return table;
}

/** Node's own latin1 slice (Buffer#toString with fewer checks); the range is already checked. */
const latin1 = (buffer: Buffer, start: number, end: number): string =>
  (buffer as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);
