import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { answerClientError } from '../../http/client-error.js';

/** Answers still owed on a socket node:http serves, and a refusal waiting behind them. */
interface Owed {
  answers: number;
  /** The request read last: while its body is unfinished, a parse error is in that body. */
  last: IncomingMessage | undefined;
  refusal: { code?: string | undefined } | undefined;
  refused: boolean;
}

const OWED = new WeakMap<Socket, Owed>();

/**
 * Counts an answer as owed on the request's socket until {@link answered} is called for it (when
 * its response closes), so that a refusal of a request pipelined behind it ({@link refuseInOrder})
 * waits for it. Called for every request node:http hands the gateway; the gateway's own server
 * answers in order by construction.
 *
 * @example
 * ```ts
 * fallback.on('request', (req, res) => { owe(req); res.once('close', () => answered(req.socket)); route(req, res); });
 * ```
 */
export function owe(req: IncomingMessage): void {
  const owed = owedOn(req.socket);
  owed.answers++;
  owed.last = req;
}

/** One answer owed on `socket` is out (its response closed); a refusal waiting behind it goes now. */
export function answered(socket: Socket): void {
  const owed = OWED.get(socket);
  if (owed !== undefined) settle(socket, owed);
}

/**
 * node:http's `clientError` for the gateway: a head it cannot parse, on a connection where earlier
 * requests are still being answered (a POST whose answer is still upstream, then a malformed
 * request pipelined behind it), is refused only after those answers are out, as RFC 9112 §9.3.2
 * orders them. node:http itself would write the 400 at once and close: the POST would have run
 * and its answer would be lost. Nothing more is routed from the connection meanwhile (its parser
 * is broken), and it is closed after the refusal. An error inside a body still being read (a bad
 * chunk size) is refused at once: that request can never be answered.
 *
 * @example
 * ```ts
 * fallback.on('clientError', refuseInOrder);
 * ```
 */
export function refuseInOrder(error: { code?: string | undefined }, socket: Socket): void {
  if (error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const owed = owedOn(socket);
  // The parser stays in error: each later read would report it again; the first one counts.
  if (owed.refused || owed.refusal !== undefined) return;
  // An error inside the body of the request being read belongs to that request: it can never be
  // answered, so the refusal is now (closing the connection abandons its forward).
  if (owed.answers > 0 && owed.last?.complete === true) {
    owed.refusal = error;
    return;
  }
  owed.refused = true;
  answerClientError(error, socket);
}

/**
 * Whether this socket's connection is being refused: a request node:http still reads from it
 * after that is not routed (its answer would queue behind one that never comes).
 *
 * @example
 * ```ts
 * if (refusing(req.socket)) return;
 * ```
 */
export function refusing(socket: Socket): boolean {
  const owed = OWED.get(socket);
  return owed !== undefined && (owed.refusal !== undefined || owed.refused);
}

function settle(socket: Socket, owed: Owed): void {
  owed.answers--;
  if (owed.answers > 0 || owed.refusal === undefined || owed.refused) return;
  owed.refused = true;
  answerClientError(owed.refusal, socket);
}

function owedOn(socket: Socket): Owed {
  let owed = OWED.get(socket);
  if (owed === undefined) {
    owed = { answers: 0, last: undefined, refusal: undefined, refused: false };
    OWED.set(socket, owed);
  }
  return owed;
}
