import { ok, PorticoError } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthFlows } from '../identity/auth-flows.js';
import { LoginBody } from '../identity/http/schemas.js';
import type { Identity } from '../identity/identity.js';
import { checkWrite } from './session-auth.js';
import { readCookie, SESSION_COOKIE, sameOrigin, setSessionCookie } from './session-cookie.js';
import type { SessionStore } from './session-store.js';

/**
 * `/console/session`: sign in (POST, sets the HttpOnly cookie), who am I (GET, returns the CSRF
 * token the page sends on writes) and sign out (DELETE, revokes the refresh family).
 *
 * @example
 * ```ts
 * sessionRoutes(app, identity, sessions);
 * ```
 */
export function sessionRoutes(app: FastifyInstance, identity: Identity, sessions: SessionStore): void {
  const flows = new AuthFlows(identity);
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');
  const current = (request: FastifyRequest) => {
    const id = readCookie(request, SESSION_COOKIE);
    return id === undefined ? undefined : sessions.get(id);
  };
  const describe = async (accessToken: string, csrf: string) => {
    const principal = await identity.verifier.verify(accessToken);
    const { tenant, subject, username = null, roles } = principal;
    return { csrf, principal: { tenant, subject, username, roles } };
  };

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/console/session',
    { schema: { tags: ['console'], summary: 'Sign in to the console (session cookie)', body: LoginBody } },
    async (request, reply) => {
      noStore(reply);
      // A login from another site could plant its session in the operator's browser.
      if (!sameOrigin(request)) {
        throw new PorticoError('AUTHORIZATION_ERROR', 'sign in from the console origin', { reason: 'origin' });
      }
      const pair = await flows.login(request.body, { ip: request.ip, requestId: request.id });
      const session = sessions.create(pair);
      setSessionCookie(request, reply, session.id, sessions.maxAgeSeconds(session));
      return ok(await describe(session.accessToken, session.csrf), request.id);
    },
  );

  app.get(
    '/console/session',
    { schema: { tags: ['console'], summary: 'The signed-in console user' } },
    async (request, reply) => {
      noStore(reply);
      const session = current(request);
      if (!session) throw new PorticoError('AUTHENTICATION_ERROR', 'not signed in to the console');
      return ok(await describe(session.accessToken, session.csrf), request.id);
    },
  );

  app.delete(
    '/console/session',
    { schema: { tags: ['console'], summary: 'Sign out (revokes the session)' } },
    async (request, reply) => {
      noStore(reply);
      const session = current(request);
      if (session) {
        checkWrite(request, session);
        sessions.delete(session.id);
        await flows.logout(session.refreshToken);
      }
      setSessionCookie(request, reply, '', 0);
      return ok({ signedOut: true }, request.id);
    },
  );
}
