import type { IncomingHttpHeaders } from 'node:http';

/** `http` or `https`, `://`, the authority, then the rest (path, query). */
const ABSOLUTE_FORM = /^(https?):\/\/([^/?#]*)(.*)$/is;
/** host (a reg-name, IPv4, or a bracketed IP literal) and an optional port: no userinfo, never empty. */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+)(?::\d{0,5})?$/;

/**
 * The target the gateway routes and forwards, for both of its servers: origin-form (RFC 9112
 * §3.2.1) with consecutive slashes in the path merged into one (as nginx's `merge_slashes`), so
 * `/api//orders///1` is matched, checked by the policies and forwarded as `/api/orders/1`; the
 * query is left as sent. An absolute-form target (`http://host/path`, RFC 9112 §3.2.2) becomes its
 * path and query, and its authority replaces `headers.host` (the target's authority wins over the
 * Host header), so the forwarded request is origin-form and the host the routes see is the one
 * the target named. `*` (OPTIONS) is kept. Returns `undefined` for a target the gateway cannot
 * route: another scheme, userinfo (RFC 9110 §4.2.4), an empty or malformed authority.
 *
 * The common case (origin-form, no `//`) returns `url` itself after one native scan.
 *
 * @example
 * ```ts
 * const headers = { host: 'gw' };
 * routeTarget('http://api.example/a//b?x=//y', headers); // '/a/b?x=//y', headers.host === 'api.example'
 * routeTarget('/api//orders', headers); // '/api/orders'
 * routeTarget('http://user@api.example/', headers); // undefined
 * ```
 */
export function routeTarget(url: string, headers: IncomingHttpHeaders): string | undefined {
  if (url.charCodeAt(0) === 47) return url.indexOf('//') === -1 ? url : mergeSlashes(url);
  if (url === '*') return url;
  const absolute = ABSOLUTE_FORM.exec(url);
  if (absolute === null) return undefined;
  const authority = absolute[2] as string;
  if (!AUTHORITY.test(authority)) return undefined;
  headers.host = authority;
  const rest = absolute[3] as string;
  const origin = rest === '' ? '/' : rest.charCodeAt(0) === 47 ? rest : `/${rest}`;
  return origin.indexOf('//') === -1 ? origin : mergeSlashes(origin);
}

/** `/a//b///c?q=//x` → `/a/b/c?q=//x`: runs of `/` in the path become one; the query is data. */
function mergeSlashes(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const merged = path.replace(/\/{2,}/g, '/');
  return query === -1 ? merged : merged + url.slice(query);
}
