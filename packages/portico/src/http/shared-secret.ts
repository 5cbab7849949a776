import { createHash, timingSafeEqual } from 'node:crypto';
import { PorticoError } from '@portico/sdk';

/**
 * Checks `Authorization: Bearer <secret>` against the secret the platform's processes share
 * (`clusterSecret`). Digests are compared, so neither the secret's content nor its length
 * leaks through timing. An empty secret accepts nobody.
 */
function sharedSecretCheck(secret: string): (authorization: string | string[] | undefined) => boolean {
  if (secret === '') return () => false;
  const expected = digest(secret);
  return (authorization) => {
    if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) return false;
    return timingSafeEqual(digest(authorization.slice(7).trim()), expected);
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * A guard for routes only the deployment's own processes may call: throws 403
 * `AUTHORIZATION_ERROR` when this process has no `clusterSecret` (the route is off), and 401
 * `AUTHENTICATION_ERROR` when the caller does not present it. `what` completes the messages.
 *
 * @example
 * ```ts
 * const requirePeer = peerGuard(config.clusterSecret, 'publishing assertion keys');
 * requirePeer(request.headers.authorization); // throws unless `Bearer <clusterSecret>`
 * ```
 */
export function peerGuard(secret: string, what: string): (authorization: string | string[] | undefined) => void {
  const isPeer = sharedSecretCheck(secret);
  return (authorization) => {
    if (secret === '') {
      throw new PorticoError('AUTHORIZATION_ERROR', `${what} over HTTP is off; set clusterSecret on every process`);
    }
    if (!isPeer(authorization)) throw new PorticoError('AUTHENTICATION_ERROR', `${what} needs the clusterSecret`);
  };
}
