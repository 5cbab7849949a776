import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientCredentials, OAuthError } from '../client-credentials.js';
import type { Identity } from '../identity.js';

const MAX_PARAM = 512;

/**
 * `POST /auth/token`: the OAuth 2.0 token endpoint for the client-credentials grant. It speaks
 * RFC 6749, not the envelope: `{ access_token, token_type, expires_in, scope }` or
 * `{ error, error_description }`, so any OAuth client library works against it. Client
 * authentication: HTTP Basic (`client_secret_basic`) or form fields (`client_secret_post`).
 */
export async function tokenRoute(app: FastifyInstance, { identity }: { identity: Identity }): Promise<void> {
  app.post(
    '/auth/token',
    {
      schema: {
        tags: ['auth'],
        summary: 'OAuth 2.0 token endpoint (grant_type=client_credentials)',
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
      },
      // RFC errors even for a body Fastify cannot parse.
      errorHandler: (error, request, reply) => {
        if (error instanceof OAuthError) return sendOAuthError(request, reply, error);
        const status =
          (error as { statusCode?: number; status?: number }).statusCode ?? (error as { status?: number }).status;
        if (status !== undefined && status >= 400 && status < 500) {
          return sendOAuthError(request, reply, new OAuthError('invalid_request', (error as Error).message));
        }
        request.log.error({ err: error }, 'token endpoint failed');
        reply
          .code(500)
          .header('x-request-id', request.id)
          .send({ error: 'server_error', error_description: 'try again later' });
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      const body = readParams(request.body);
      if (body.grant_type === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
      if (body.grant_type !== 'client_credentials') {
        throw new OAuthError('unsupported_grant_type', 'only client_credentials is supported here');
      }
      const credentials = clientAuth(request, body);
      return clientCredentials(identity, { ...credentials, scope: body.scope });
    },
  );
}

function readParams(body: unknown): Record<string, string | undefined> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'send the parameters as a form (application/x-www-form-urlencoded)');
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value !== 'string' || value.length > MAX_PARAM)
      throw new OAuthError('invalid_request', `parameter ${key} is invalid`);
    out[key] = value;
  }
  return out;
}

function clientAuth(
  request: FastifyRequest,
  body: Record<string, string | undefined>,
): { clientId: string; clientSecret: string } {
  const header = request.headers.authorization;
  const fromBody = body.client_id !== undefined || body.client_secret !== undefined;
  if (header !== undefined) {
    // RFC 6749 §2.3: a client must not use more than one authentication method per request.
    if (fromBody) throw new OAuthError('invalid_request', 'use either HTTP Basic or form credentials, not both');
    const match = /^Basic ([A-Za-z0-9+/]+=*)$/.exec(header);
    const decoded = match ? Buffer.from(match[1] as string, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new OAuthError('invalid_client', 'malformed HTTP Basic credentials', 401);
    // Basic credentials are form-urlencoded first (RFC 6749 §2.3.1).
    return {
      clientId: safeDecode(decoded.slice(0, colon)),
      clientSecret: safeDecode(decoded.slice(colon + 1)),
    };
  }
  if (body.client_id === undefined || body.client_secret === undefined) {
    throw new OAuthError('invalid_client', 'client authentication is required', 401);
  }
  return { clientId: body.client_id, clientSecret: body.client_secret };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    throw new OAuthError('invalid_client', 'malformed HTTP Basic credentials', 401);
  }
}

function sendOAuthError(request: FastifyRequest, reply: FastifyReply, error: OAuthError): void {
  if (error.status === 401) {
    // RFC 6749 §5.2: a 401 names the scheme the client should authenticate with.
    reply.header('www-authenticate', 'Basic realm="portico"');
  }
  reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .header('x-request-id', request.id)
    .send({ error: error.error, error_description: error.description });
}
