/**
 * Close codes of the realtime hub (docs/realtime.md, docs/errors.md). 4xxx are Portico's own;
 * a client reconnects on 1001/1006/4008, re-authenticates on 4401, and gives up on 4403.
 */
export const CLOSE_CODES = {
  /** The gateway is shutting down: reconnect, another process will take the socket. */
  GOING_AWAY: 1001,
  /** A frame that is not JSON or not a known message. */
  PROTOCOL_ERROR: 4400,
  /** No valid credential before the auth deadline, a bad or forged token, or an expired one past its grace. */
  UNAUTHENTICATED: 4401,
  /** The credential is valid but may not use the hub. */
  FORBIDDEN: 4403,
  /** The socket's unsent bytes passed `realtime.maxBufferedBytes` (slow client). */
  SLOW_CLIENT: 4008,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];
