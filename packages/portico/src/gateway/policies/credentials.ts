import type { IncomingHttpHeaders } from 'node:http';

/** A credential as presented, before any check. */
export type PresentedCredential =
  | { kind: 'jwt'; value: string }
  | { kind: 'api-key'; value: string }
  | { kind: 'none' }
  /** Something is wrong with how it was presented; `reason` is safe to show the caller. */
  | { kind: 'malformed'; reason: string };

const NONE: PresentedCredential = { kind: 'none' };
/** Query parameters that carry credentials in other gateways; Portico refuses them (they end up in logs). */
const QUERY_CREDENTIALS = /[?&](access_token|api_key|apikey|token)=/i;

/**
 * Reads the caller's credential from `Authorization: Bearer`, `Authorization: ApiKey` or
 * `x-api-key`. Two different credentials at once, an unknown scheme, or a credential in the
 * query string are malformed: the gateway never guesses which one the caller meant.
 *
 * @example
 * ```ts
 * presentedCredential(req.headers, '/orders?x=1'); // { kind: 'jwt', value: 'eyJ…' }
 * ```
 */
export function presentedCredential(headers: IncomingHttpHeaders, rest: string): PresentedCredential {
  if (rest.includes('?') && QUERY_CREDENTIALS.test(rest)) {
    return { kind: 'malformed', reason: 'credentials in the URL are not accepted; send them in a header' };
  }
  const authorization = headers.authorization;
  const apiKeyHeader = headers['x-api-key'];
  if (Array.isArray(apiKeyHeader)) return { kind: 'malformed', reason: 'more than one x-api-key header' };
  if (authorization === undefined) {
    return apiKeyHeader === undefined ? NONE : { kind: 'api-key', value: apiKeyHeader.trim() };
  }
  if (apiKeyHeader !== undefined)
    return { kind: 'malformed', reason: 'send either Authorization or x-api-key, not both' };
  const space = authorization.indexOf(' ');
  const scheme = space === -1 ? authorization : authorization.slice(0, space);
  const value = space === -1 ? '' : authorization.slice(space + 1).trim();
  if (value === '') return { kind: 'malformed', reason: 'the Authorization header has no credential' };
  switch (scheme.toLowerCase()) {
    case 'bearer':
      return { kind: 'jwt', value };
    case 'apikey':
      return { kind: 'api-key', value };
    default:
      return { kind: 'malformed', reason: 'the Authorization scheme must be Bearer or ApiKey' };
  }
}
