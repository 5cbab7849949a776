import { PorticoError } from '@portico/sdk';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthFlows } from '../identity/auth-flows.js';
import type { Identity } from '../identity/identity.js';
import { readCookie, SESSION_COOKIE, sameOrigin } from './session-cookie.js';
import type { ConsoleSession, SessionStore } from './session-store.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Refresh the access token this long before it expires, so a request never carries a stale one. */
const REFRESH_MARGIN_MS = 30_000;

/**
 * Lets the console's session cookie authenticate the admin API: a request with the cookie and
 * no credential of its own gets the session's access token as its bearer, so every route checks
 * roles and tenants exactly as for a token (the UI decides nothing). Writes must carry the
 * session's CSRF token in `x-portico-csrf` and come from the admin port's own origin.
 *
 * @example
 * ```ts
 * installSessionAuth(app, identity, sessions); // before the admin routes are registered
 * ```
 */
export function installSessionAuth(app: FastifyInstance, identity: Identity, sessions: SessionStore): void {
  const flows = new AuthFlows(identity);
  app.addHook('onRequest', async (request) => {
    if (request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined) return;
    const id = readCookie(request, SESSION_COOKIE);
    const session = id === undefined ? undefined : sessions.get(id);
    if (!session) return;
    if (!SAFE_METHODS.has(request.method)) checkWrite(request, session);
    if (session.accessExpiresAt - Date.now() < REFRESH_MARGIN_MS) {
      const pair = await flows.refresh(session.refreshToken, { ip: request.ip, requestId: request.id });
      session.accessToken = pair.accessToken;
      session.refreshToken = pair.refreshToken;
      session.accessExpiresAt = Date.now() + pair.expiresIn * 1000;
    }
    request.headers.authorization = `Bearer ${session.accessToken}`;
  });
}

/** `AUTHORIZATION_ERROR` unless a cookie-authenticated write carries the CSRF header from our origin. */
export function checkWrite(request: FastifyRequest, session: ConsoleSession): void {
  if (!sameOrigin(request)) {
    throw new PorticoError('AUTHORIZATION_ERROR', 'a console write must come from the console origin', {
      reason: 'origin',
    });
  }
  if (request.headers['x-portico-csrf'] !== session.csrf) {
    throw new PorticoError('AUTHORIZATION_ERROR', 'send the session CSRF token in x-portico-csrf', { reason: 'csrf' });
  }
}
