import type { IncomingHttpHeaders } from 'node:http';
import { UpstreamError } from './upstream-errors.js';

/** What a {@link ResponseParser} reports, in order: one head, body chunks, the end. */
export interface ResponseSink {
  /** A final (non-1xx) response head. */
  onHead(status: number, reason: string, headers: IncomingHttpHeaders): void;
  /** A piece of the body, already de-chunked; a view into the socket's buffer. */
  onBody(chunk: Buffer): void;
  /** The body is complete. */
  onComplete(): void;
}

/** Largest response head accepted (status line and headers); Node's own default is 16 KiB. */
export const MAX_HEAD_BYTES = 64 * 1024;
const MAX_HEADERS = 256;
/** A chunk-size line longer than this is refused (hex digits plus extensions). */
const MAX_CHUNK_LINE = 1024;

enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Done,
}

// The byte tables and helpers below are this parser's own, not imported from a shared module:
// an imported binding is read through its module cell on every use, and in these per-byte loops
// that made both parsers 7-10 % slower (bench/head-parsers.mjs, measured 2026-12).
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
/** 1 for the bytes an RFC 9110 token (a header name) may hold. */
const TOKEN = byteTable((byte) => byte < 128 && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(String.fromCharCode(byte)));
/** 1 for the bytes a status line or field value may hold: tab, visible ASCII, space, obs-text. */
const FIELD_VALUE = byteTable((byte) => byte === 9 || (byte >= 32 && byte !== 127));
const DIGITS = /^\d{1,15}$/;
const HEX = /^[0-9a-fA-F]{1,12}$/;

/**
 * An HTTP/1.1 response parser for the gateway's upstream connections: one response at a time,
 * fed with whatever the socket delivers. It is strict where leniency lets a response smuggle
 * another into the caller's connection: a malformed status line, a header name that is not a
 * token, control characters, obs-fold, conflicting `Content-Length`s and bad chunk framing are
 * all refused with `PORTICO_BAD_RESPONSE`, and the connection is not reused after them; so is a
 * response framed by both `Transfer-Encoding` and `Content-Length` (RFC 9112 §6.3: "ought to be
 * handled as an error", as llhttp does). After an answer that
 * cannot have a body (to HEAD, 204, 304) the connection is not reused either. Hop-by-hop headers
 * (`Connection` and those it names, `Keep-Alive`, `Transfer-Encoding`, …) are read for the
 * framing and never handed on: a proxy must not forward them.
 *
 * @example
 * ```ts
 * const parser = new ResponseParser(sink);
 * parser.expect('GET');
 * socket.on('data', (chunk) => parser.execute(chunk));
 * socket.on('end', () => parser.finish());
 * ```
 */
export class ResponseParser {
  #state = State.Done;
  #pending: Buffer | undefined;
  #remaining = 0;
  #noBody = false;
  /** Whether the connection may carry another request once this response is complete. */
  keepAlive = true;
  /** The upstream's `Keep-Alive: timeout=N` hint, in ms; 0 when it gave none. */
  keepAliveHintMs = 0;

  constructor(private readonly sink: ResponseSink) {}

  /** Readies the parser for the response to a request with `method` (HEAD has no body). */
  expect(method: string): void {
    this.#state = State.Head;
    this.#pending = undefined;
    this.#noBody = method === 'HEAD';
    this.keepAlive = true;
    this.keepAliveHintMs = 0;
  }

  /** True between the start of a response and its end. */
  get busy(): boolean {
    return this.#state !== State.Done;
  }

  /** True once a head arrived and the body has not ended: bytes of the answer were delivered. */
  get inBody(): boolean {
    return this.#state !== State.Head && this.#state !== State.Done;
  }

  /** Parses `data`; the sink hears of what it completes. Throws {@link UpstreamError} on a bad response. */
  execute(data: Buffer): void {
    if (this.#state === State.Done) {
      // Bytes no request asked for: the upstream does not follow the protocol; never reuse it.
      this.keepAlive = false;
      throw new UpstreamError('PORTICO_BAD_RESPONSE', 'the upstream sent data no request asked for');
    }
    let buffer = data;
    if (this.#pending !== undefined) {
      buffer = Buffer.concat([this.#pending, data]);
      this.#pending = undefined;
    }
    let offset = 0;
    while (offset < buffer.length && this.busy) {
      switch (this.#state) {
        case State.Head:
          offset = this.#head(buffer, offset);
          break;
        case State.Length: {
          const take = Math.min(this.#remaining, buffer.length - offset);
          this.#remaining -= take;
          const end = offset + take;
          this.sink.onBody(offset === 0 && end === buffer.length ? buffer : buffer.subarray(offset, end));
          offset = end;
          if (this.#remaining === 0) this.#complete();
          break;
        }
        case State.ChunkSize:
          offset = this.#chunkSize(buffer, offset);
          break;
        case State.ChunkData: {
          const take = Math.min(this.#remaining, buffer.length - offset);
          this.#remaining -= take;
          this.sink.onBody(buffer.subarray(offset, offset + take));
          offset += take;
          if (this.#remaining === 0) this.#state = State.ChunkEnd;
          break;
        }
        case State.ChunkEnd:
          offset = this.#chunkEnd(buffer, offset);
          break;
        case State.Trailers:
          offset = this.#trailers(buffer, offset);
          break;
        case State.UntilClose:
          this.sink.onBody(offset === 0 ? buffer : buffer.subarray(offset));
          offset = buffer.length;
          break;
      }
    }
    if (offset < buffer.length) {
      this.keepAlive = false;
      throw new UpstreamError('PORTICO_BAD_RESPONSE', 'the upstream sent more than the response it framed');
    }
  }

  /** The upstream closed its side: ends a body that runs until close, or fails a cut response. */
  finish(): void {
    if (this.#state === State.UntilClose) {
      this.#complete();
      return;
    }
    if (this.#state !== State.Done) {
      throw new UpstreamError(
        'PORTICO_UPSTREAM_CLOSED',
        'the upstream closed the connection before the response ended',
      );
    }
  }

  #complete(): void {
    this.#state = State.Done;
    this.sink.onComplete();
  }

  /** Keeps an unfinished piece for the next `execute`, within `limit` bytes. */
  #keep(buffer: Buffer, offset: number, limit: number, what: string): number {
    if (buffer.length - offset > limit) {
      this.keepAlive = false;
      throw new UpstreamError('PORTICO_BAD_RESPONSE', `the upstream's ${what} is too long`);
    }
    this.#pending = offset === 0 ? buffer : buffer.subarray(offset);
    return buffer.length;
  }

  /**
   * The status line and headers, read in one pass over the head's text: each character is checked
   * against the token or field-value table as it is scanned, so no regular expression runs per
   * header, and the head is copied out of the buffer once (each call into Node's C++ costs more
   * than the scan).
   */
  #head(buffer: Buffer, offset: number): number {
    const headEnd = buffer.indexOf(HEAD_END, offset);
    if (headEnd === -1) {
      // LF-only line ends never make CRLFCRLF: refused now, not after the response timeout. Only
      // a head still incomplete is scanned, and only its LFs (a few per head).
      for (let lf = buffer.indexOf(10, offset); lf !== -1; lf = buffer.indexOf(10, lf + 1)) {
        if (lf === offset || buffer[lf - 1] !== 13) this.#bad('a line ends in a bare LF');
      }
      return this.#keep(buffer, offset, MAX_HEAD_BYTES, 'response head');
    }
    if (headEnd - offset > MAX_HEAD_BYTES) this.#bad('response head is too long');
    // Up to and with the CRLF of the last header line: every line ends in CRLF.
    const text = latin1(buffer, offset, headEnd + 2);
    const length = text.length;
    let i = 0;
    while (FIELD_VALUE[text.charCodeAt(i)] === 1) i++;
    if (text.charCodeAt(i) !== 13 || text.charCodeAt(i + 1) !== 10) this.#bad('status line holds control characters');
    const statusLine = text.slice(0, i);
    if (
      statusLine.length < 12 ||
      !statusLine.startsWith('HTTP/1.') ||
      (statusLine[7] !== '1' && statusLine[7] !== '0') ||
      statusLine[8] !== ' ' ||
      (statusLine.length > 12 && statusLine[12] !== ' ')
    ) {
      this.#bad('status line is malformed');
    }
    const status = statusCodeOf(statusLine);
    if (status === 0) this.#bad('status code is malformed');
    i += 2;
    const headers: IncomingHttpHeaders = {};
    let count = 0;
    let connection: string | undefined;
    let encoding: string | undefined;
    let keepAlive: string | undefined;
    while (i < length) {
      if (++count > MAX_HEADERS) this.#bad('response has too many headers');
      // Name: token characters up to the colon (a line starting with whitespace, obs-fold, has none).
      const nameStart = i;
      let upper = false;
      for (let code = text.charCodeAt(i); TOKEN[code] === 1; code = text.charCodeAt(++i)) {
        if (code >= 65 && code <= 90) upper = true;
      }
      if (i === nameStart || text.charCodeAt(i) !== 58) this.#bad('header line is malformed');
      const name = upper ? text.slice(nameStart, i).toLowerCase() : text.slice(nameStart, i);
      i++;
      for (let code = text.charCodeAt(i); code === 32 || code === 9; code = text.charCodeAt(++i));
      const valueStart = i;
      while (FIELD_VALUE[text.charCodeAt(i)] === 1) i++;
      if (text.charCodeAt(i) !== 13 || text.charCodeAt(i + 1) !== 10)
        this.#bad('header value holds control characters');
      let valueEnd = i;
      for (let code = text.charCodeAt(valueEnd - 1); valueEnd > valueStart && (code === 32 || code === 9); ) {
        code = text.charCodeAt(--valueEnd - 1);
      }
      const value = text.slice(valueStart, valueEnd);
      i += 2;
      if (isHopByHop(name)) {
        // About this connection, not the response: read for the framing, never passed on.
        if (name === 'connection') connection = connection === undefined ? value : `${connection},${value}`;
        else if (name === 'transfer-encoding') encoding = encoding === undefined ? value : `${encoding},${value}`;
        else if (name === 'keep-alive') keepAlive = value;
        continue;
      }
      // An own property only: "__proto__" or "constructor" must not reach Object.prototype.
      const prior = headers[name];
      if (typeof prior === 'string') {
        if (name === 'content-length') {
          if (prior !== value) this.#bad('response has conflicting Content-Length headers');
        } else headers[name] = [prior, value];
      } else if (Array.isArray(prior)) prior.push(value);
      else if (name !== '__proto__') headers[name] = value;
    }
    const end = headEnd + 4;
    if (status < 200) {
      if (status === 101) this.#bad('the upstream switched protocols unasked');
      // 100 Continue, 102, 103 Early Hints: interim; the final head follows.
      return end;
    }
    // Nearly always exactly "keep-alive" or "close": the list is split only when it is not.
    const tokens = connection === undefined ? NO_TOKENS : connectionTokens(connection.toLowerCase());
    for (const name of tokens) if (name !== 'keep-alive' && name !== 'close') delete headers[name];
    this.#connectionSettings(statusLine[7] === '0', tokens, keepAlive);
    this.#frame(status, headers, encoding);
    this.sink.onHead(status, statusLine.length > 13 ? statusLine.slice(13) : '', headers);
    if (this.#state === State.Done) this.sink.onComplete();
    return end;
  }

  #connectionSettings(http10: boolean, tokens: readonly string[], keepAlive: string | undefined): void {
    if (tokens.includes('close')) this.keepAlive = false;
    else if (http10) this.keepAlive = tokens.includes('keep-alive');
    if (keepAlive !== undefined) {
      const match = /timeout\s*=\s*(\d+)/i.exec(keepAlive);
      if (match) this.keepAliveHintMs = Number(match[1]) * 1000;
    }
  }

  /** Chooses how the body is delimited (RFC 9112 §6.3). */
  #frame(status: number, headers: IncomingHttpHeaders, encoding: string | undefined): void {
    if (this.#noBody || status === 204 || status === 304) {
      this.#state = State.Done;
      // A body sent anyway (a 204 with content, a HEAD answered with the GET's body) arrives after
      // this response is complete, maybe once the pooled connection carries another caller's
      // request, whose answer it would become. The connection is not reused after such an answer.
      this.keepAlive = false;
      return;
    }
    if (encoding !== undefined) {
      // RFC 9112 §6.3: framed both ways "ought to be handled as an error" (llhttp refuses it too).
      if (headers['content-length'] !== undefined) this.#bad('response has both Transfer-Encoding and Content-Length');
      const codings = encoding.toLowerCase().split(',');
      const chunked = (codings[codings.length - 1] as string).trim() === 'chunked';
      this.#state = chunked ? State.ChunkSize : State.UntilClose;
      // Not chunked: the body runs until close.
      if (!chunked) this.keepAlive = false;
      return;
    }
    const length = headers['content-length'];
    if (length !== undefined) {
      if (typeof length !== 'string' || !DIGITS.test(length)) this.#bad('Content-Length is not a number');
      this.#remaining = Number(length);
      this.#state = this.#remaining === 0 ? State.Done : State.Length;
      return;
    }
    this.keepAlive = false;
    this.#state = State.UntilClose;
  }

  #chunkSize(buffer: Buffer, offset: number): number {
    const end = buffer.indexOf(CRLF, offset);
    if (end === -1) return this.#keep(buffer, offset, MAX_CHUNK_LINE, 'chunk size line');
    if (end - offset > MAX_CHUNK_LINE) this.#bad('chunk size line is too long');
    const line = latin1(buffer, offset, end);
    const semicolon = line.indexOf(';');
    const hex = semicolon === -1 ? line : line.slice(0, semicolon);
    if (!HEX.test(hex)) this.#bad('chunk size is malformed');
    this.#remaining = Number.parseInt(hex, 16);
    this.#state = this.#remaining === 0 ? State.Trailers : State.ChunkData;
    return end + 2;
  }

  #chunkEnd(buffer: Buffer, offset: number): number {
    if (buffer.length - offset < 2) return this.#keep(buffer, offset, 2, 'chunk end');
    if (buffer[offset] !== 13 || buffer[offset + 1] !== 10) this.#bad('chunk data is not followed by CRLF');
    this.#state = State.ChunkSize;
    return offset + 2;
  }

  /** Trailer fields after the last chunk are read and dropped; an empty line ends them. */
  #trailers(buffer: Buffer, offset: number): number {
    const end = buffer.indexOf(CRLF, offset);
    if (end === -1) return this.#keep(buffer, offset, MAX_HEAD_BYTES, 'trailer section');
    if (end - offset > MAX_HEAD_BYTES) this.#bad('trailer section is too long');
    if (end === offset) this.#complete();
    return end + 2;
  }

  #bad(what: string): never {
    this.keepAlive = false;
    throw new UpstreamError('PORTICO_BAD_RESPONSE', `bad response from the upstream: ${what}`);
  }
}

/**
 * RFC 9110 §7.6.1: headers about one connection, which a proxy must not pass on; `length` first,
 * so most names are ruled out by one comparison.
 */
function isHopByHop(name: string): boolean {
  switch (name.length) {
    case 7:
      return name === 'trailer' || name === 'upgrade';
    case 10:
      return name === 'connection' || name === 'keep-alive';
    case 16:
      return name === 'proxy-connection';
    case 17:
      return name === 'transfer-encoding';
    default:
      return false;
  }
}

const NO_TOKENS: readonly string[] = [];
const KEEP_ALIVE: readonly string[] = ['keep-alive'];
const CLOSE: readonly string[] = ['close'];

/** The options of a lower-cased `Connection` value (the two usual ones without splitting). */
function connectionTokens(value: string): readonly string[] {
  if (value === 'keep-alive') return KEEP_ALIVE;
  if (value === 'close') return CLOSE;
  return value
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

function byteTable(allowed: (byte: number) => boolean): Uint8Array {
  const table = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) table[byte] = allowed(byte) ? 1 : 0;
  return table;
}

/** Node's own latin1 slice (Buffer#toString with fewer checks); the range is already checked. */
const latin1 = (buffer: Buffer, start: number, end: number): string =>
  (buffer as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);

/** The status code of a checked status line; 0 when its three characters are not 100–999. */
function statusCodeOf(line: string): number {
  const a = line.charCodeAt(9) - 48;
  const b = line.charCodeAt(10) - 48;
  const c = line.charCodeAt(11) - 48;
  if (a < 1 || a > 9 || b < 0 || b > 9 || c < 0 || c > 9) return 0;
  return a * 100 + b * 10 + c;
}
