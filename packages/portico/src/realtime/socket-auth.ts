import type { IncomingMessage } from 'node:http';
import type { IdentityView } from '../identity/identity-view.js';
import type { Principal } from '../identity/model.js';

/** Who a socket is, and until when its credential holds (ms since epoch; none for API keys). */
export interface SocketIdentity {
  principal: Principal;
  expiresAt: number | undefined;
}

/**
 * The credential a browser can send on connect: `?token=` (a browser WebSocket cannot set
 * headers), or `Authorization: Bearer|ApiKey` / `x-api-key` for other clients. Undefined when
 * none was sent (the client then has `authDeadlineMs` for an `{type:"auth"}` frame).
 */
export function connectCredential(req: IncomingMessage): string | undefined {
  const query = (req.url ?? '').indexOf('?');
  if (query !== -1) {
    const token = new URLSearchParams((req.url as string).slice(query + 1)).get('token');
    if (token) return token;
  }
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const space = authorization.indexOf(' ');
    return space === -1 ? undefined : authorization.slice(space + 1).trim();
  }
  const apiKey = req.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

/**
 * Verifies an access token or an API key against the gateway's in-memory identity (no store
 * I/O): an API key looks like `pk_…`, anything else is taken for a JWT. Undefined when refused.
 *
 * @example
 * ```ts
 * const who = await verifySocketCredential(view, token); // { principal, expiresAt } | undefined
 * ```
 */
export async function verifySocketCredential(
  identity: IdentityView,
  credential: string,
): Promise<SocketIdentity | undefined> {
  if (credential.length === 0 || credential.length > 8192) return undefined;
  if (credential.startsWith('pk_')) {
    const principal = identity.verifyApiKey(credential);
    return principal ? { principal, expiresAt: undefined } : undefined;
  }
  try {
    const principal = identity.verifyKnownAccessToken(credential) ?? (await identity.verifyAccessToken(credential));
    return { principal, expiresAt: expiryOf(credential) };
  } catch {
    return undefined;
  }
}

/** The `exp` of a token already verified: read from its payload, no second verification. */
function expiryOf(jwt: string): number | undefined {
  const payload = jwt.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
