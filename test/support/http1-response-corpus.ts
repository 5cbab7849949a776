/**
 * Responses a broken or hostile upstream sends, for the response side of the HTTP/1.1
 * differential: each is given to the gateway's upstream client (through a real request) and to
 * node:http's client (llhttp), with what the gateway must answer its caller.
 */

/** One upstream response and the gateway's verdict on it. */
export interface BadResponse {
  name: string;
  /** Written as it stands, in one write, as the answer to the request. */
  bytes: string;
  /**
   * 502: refused (`PORTICO_BAD_RESPONSE`) before anything was passed on; `cut`: found once the
   * head had been passed on, so the caller's connection is closed without a complete answer;
   * 200: served, and the connection is not reused.
   */
  gateway: 200 | 502 | 'cut';
  /** The upstream closes after it (a body framed by the close). */
  close?: true;
  /** Where llhttp's verdict differs from the gateway's: why the gateway's is right. */
  differs?: string;
}

const OK = 'HTTP/1.1 200 OK\r\n';

export const BAD_RESPONSES: readonly BadResponse[] = [
  {
    name: 'two different Content-Lengths',
    bytes: `${OK}Content-Length: 2\r\nContent-Length: 3\r\n\r\nabc`,
    gateway: 502,
  },
  {
    name: 'Content-Length and Transfer-Encoding',
    bytes: `${OK}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
    gateway: 502,
  },
  { name: 'obs-fold', bytes: `${OK}X-A: 1\r\n 2\r\nContent-Length: 2\r\n\r\nok`, gateway: 502 },
  { name: 'bare LF line ends', bytes: 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok', gateway: 502 },
  { name: 'NUL in a header value', bytes: `${OK}X-A: a\0b\r\nContent-Length: 2\r\n\r\nok`, gateway: 502 },
  { name: 'a space before the colon', bytes: `${OK}Content-Length : 2\r\n\r\nok`, gateway: 502 },
  { name: 'a negative Content-Length', bytes: `${OK}Content-Length: -2\r\n\r\nok`, gateway: 502 },
  {
    name: 'a chunk size that is not hex',
    bytes: `${OK}Transfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n`,
    gateway: 'cut',
  },
  {
    name: 'chunk data without its CRLF',
    bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n2\r\nokX0\r\n\r\n`,
    gateway: 'cut',
  },
  { name: 'a four-digit status', bytes: 'HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok', gateway: 502 },
  {
    name: '101 nobody asked for',
    bytes: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n',
    gateway: 502,
    differs: 'llhttp hands the switch to the client to refuse; the gateway asked for none',
  },
  {
    name: 'bytes after the framed body',
    bytes: `${OK}Content-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nSMUGGLED`,
    gateway: 'cut',
    differs: 'llhttp reads the extra bytes as a next response nobody asked for; the gateway refuses the connection',
  },
  { name: 'HTTP/1.0, framed by close', bytes: 'HTTP/1.0 200 OK\r\n\r\nuntil close', gateway: 200, close: true },
];
