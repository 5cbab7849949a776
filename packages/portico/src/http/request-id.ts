import { randomUUID } from 'node:crypto';

/** Longest caller-supplied request id we pass on; longer ones are replaced, not truncated. */
const MAX_REQUEST_ID_LENGTH = 200;

/**
 * The caller's `x-request-id` when it is a sane token (visible ASCII, bounded), else a new UUID.
 * Header values we echo back must not carry anything a log or a proxy could misread.
 */
export function requestIdFrom(header: string | string[] | undefined): string {
  if (typeof header === 'string' && header.length > 0 && header.length <= MAX_REQUEST_ID_LENGTH && isToken(header)) {
    return header;
  }
  return randomUUID();
}

function isToken(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
