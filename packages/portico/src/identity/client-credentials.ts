import type { Identity } from './identity.js';

/** An RFC 6749 §5.2 error: `error` is one of the RFC's codes. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';

  constructor(
    readonly error:
      | 'invalid_request'
      | 'invalid_client'
      | 'invalid_grant'
      | 'unauthorized_client'
      | 'unsupported_grant_type'
      | 'invalid_scope',
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
  }
}

/** The token response of RFC 6749 §5.1. */
export interface OAuthTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/**
 * The client-credentials grant: a service proves who it is with its client id and secret and
 * gets an access token for the scopes it asked for (all of its scopes when it asked for none).
 *
 * @example
 * ```ts
 * const token = await clientCredentials(identity, { clientId, clientSecret, scope: 'orders.read' });
 * ```
 */
export async function clientCredentials(
  identity: Identity,
  input: { clientId: string; clientSecret: string; scope?: string | undefined },
): Promise<OAuthTokenResponse> {
  const client = await identity.clients.authenticate(input.clientId, input.clientSecret);
  const tenant = client ? await identity.tenants.get(client.tenant) : undefined;
  if (!client || tenant?.status !== 'active') {
    throw new OAuthError('invalid_client', 'client authentication failed', 401);
  }
  const requested = input.scope?.split(' ').filter((scope) => scope !== '') ?? [];
  const refused = requested.filter((scope) => !client.scopes.includes(scope));
  if (refused.length > 0)
    throw new OAuthError('invalid_scope', `scopes not granted to this client: ${refused.join(' ')}`);
  const scopes = requested.length > 0 ? requested : client.scopes;
  const { token, expiresIn } = await identity.issuer.issue({
    kind: 'client',
    subject: client.client_id,
    tenant: client.tenant,
    roles: [],
    permissions: scopes,
    scopes,
  });
  return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: scopes.join(' ') };
}
