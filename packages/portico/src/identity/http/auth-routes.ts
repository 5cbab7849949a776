import { ok, PorticoError } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthFlows } from '../auth-flows.js';
import type { Identity } from '../identity.js';
import { actorOf, principalOf, requireBearer, requireCredential } from './principal.js';
import { LoginBody, PasswordChangeBody, RefreshBody, SelfUpdateBody } from './schemas.js';

/** `/auth/login`, `/auth/refresh`, `/auth/logout` and `/auth/me` on the public port. */
export async function authRoutes(app: FastifyInstance, { identity }: { identity: Identity }): Promise<void> {
  const flows = new AuthFlows(identity);
  const caller = (request: FastifyRequest) => ({ ip: request.ip, requestId: request.id });
  // Tokens are credentials: no cache may keep a copy (RFC 6749 §5.1).
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('pragma', 'no-cache');

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/auth/login',
    { schema: { tags: ['auth'], summary: 'Sign in with tenant, username and password', body: LoginBody } },
    async (request, reply) => {
      noStore(reply);
      try {
        return ok(await flows.login(request.body, caller(request)), request.id);
      } catch (error) {
        if (error instanceof PorticoError && error.code === 'RATE_LIMITED') {
          reply.header('retry-after', String((error.details as { retryAfterSeconds: number }).retryAfterSeconds));
        }
        throw error;
      }
    },
  );

  app.post<{ Body: Static<typeof RefreshBody> }>(
    '/auth/refresh',
    { schema: { tags: ['auth'], summary: 'Exchange a refresh token for a new pair (rotation)', body: RefreshBody } },
    async (request, reply) => {
      noStore(reply);
      return ok(await flows.refresh(request.body.refreshToken, caller(request)), request.id);
    },
  );

  app.post<{ Body: Static<typeof RefreshBody> }>(
    '/auth/logout',
    { schema: { tags: ['auth'], summary: "End the refresh token's session", body: RefreshBody } },
    async (request) => ok(await flows.logout(request.body.refreshToken), request.id),
  );

  app.get(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who am I (bearer token or x-api-key)',
        security: [{ bearer: [] }, { apiKey: [] }],
      },
      onRequest: requireCredential(identity),
    },
    async (request) => ok(await flows.me(principalOf(request)), request.id),
  );

  app.patch<{ Body: Static<typeof SelfUpdateBody> }>(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change your own profile (email only)',
        body: SelfUpdateBody,
        security: [{ bearer: [] }],
      },
      onRequest: requireBearer(identity),
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.kind !== 'user') throw new PorticoError('AUTHORIZATION_ERROR', 'only users have a profile');
      const before = await identity.users.require(principal.tenant, principal.subject);
      const user = await identity.users.update(principal.tenant, principal.subject, { email: request.body.email });
      await identity.audit.record(actorOf(request), {
        action: 'user.self_update',
        tenant: principal.tenant,
        target: principal.subject,
        changes: { email: { from: before.email, to: request.body.email } },
      });
      return ok(user, request.id);
    },
  );

  app.post<{ Body: Static<typeof PasswordChangeBody> }>(
    '/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change your own password (ends every session)',
        body: PasswordChangeBody,
        security: [{ bearer: [] }],
      },
      onRequest: requireBearer(identity),
    },
    async (request) => {
      const { currentPassword, newPassword } = request.body;
      await flows.changePassword(principalOf(request), currentPassword, newPassword, caller(request));
      return ok({ passwordChanged: true }, request.id);
    },
  );
}
