import type { GatewayRequest } from '../http/gateway-message.js';
import type { StrippedHeaders } from './stripped-headers.js';

/** RFC 9110 §7.6.1 hop-by-hop headers, plus the ones the gateway sets itself. */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
]);

/**
 * The headers sent upstream: the caller's, less hop-by-hop ones (and any the caller's
 * `Connection` header names) and those that would claim an identity (`stripped`: only the
 * gateway may say who the caller is, DESIGN principle 4), plus `x-forwarded-*`, the request id
 * and what the policies add (`added`: the assertion, the resolved tenant).
 */
export function upstreamHeaders(
  req: GatewayRequest,
  requestId: string,
  stripped: StrippedHeaders,
  added?: Record<string, string>,
): Record<string, string | string[]> {
  const incoming = req.headers;
  const listed = connectionListed(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in incoming) {
    if (NOT_FORWARDED.has(name) || listed?.has(name) || stripped.has(name)) continue;
    const value = incoming[name];
    if (value !== undefined) out[name] = value;
  }
  const client = req.socket.remoteAddress ?? '';
  const prior = incoming['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${prior}, ${client}` : client;
  out['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http';
  if (incoming.host) out['x-forwarded-host'] = incoming.host;
  out['x-request-id'] = requestId;
  if (added) for (const name in added) out[name] = added[name] as string;
  return out;
}

function connectionListed(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined || value === 'keep-alive' || value === 'close') return undefined;
  const names = new Set<string>();
  for (const token of String(value).split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && name !== 'keep-alive' && name !== 'close') names.add(name);
  }
  return names.size === 0 ? undefined : names;
}
