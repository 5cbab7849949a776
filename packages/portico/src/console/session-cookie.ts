import type { FastifyReply, FastifyRequest } from 'fastify';

/** The console session cookie's name. */
export const SESSION_COOKIE = 'portico_console';

/** The value of cookie `name` in a request's Cookie header, if any. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** HttpOnly + SameSite=Strict + Path=/, Secure when the admin port is reached over https. */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, value: string, maxAge: number): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure}`,
  );
}

/**
 * Whether a write comes from the console's own origin: the browser's `Origin` must name the
 * host the request was sent to. Absent counts as foreign: every browser sends it on fetch writes.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  return origin !== undefined && origin === `${request.protocol}://${request.headers.host}`;
}
