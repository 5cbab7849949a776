/**
 * The SDK decides which paths need the gateway's assertion by the same rule as the gateway's
 * authentication policy. If the two ever disagreed towards "public", a caller that bypasses
 * the gateway would reach a path the gateway guards: this checks them side by side over
 * generated endpoint sets and paths.
 */
import type { AuthMode, EndpointSpec } from '@portico/sdk';
import { describe, expect, it } from 'vitest';
import { isOpen, modeOf } from '../packages/portico/src/gateway/policies/authentication.js';
import { EndpointTable } from '../packages/portico/src/gateway/policies/endpoint-table.js';
import { hasDotSegment } from '../packages/portico/src/gateway/policies/path-safety.js';
import { PathAccess } from '../packages/sdk/src/identity/path-access.js';

const MODES: AuthMode[] = ['public', 'jwt', 'api-key', 'any'];
const METHODS = ['GET', 'POST', 'DELETE', '*'] as const;
const PATTERNS = [
  '/orders',
  '/orders/:id',
  '/orders/:id/refund',
  '/orders/*',
  '/open/*',
  '/open/closed',
  '/*',
  '/a/:b/c',
];
const PATHS = [
  '/',
  '/orders',
  '/orders/',
  '/orders/42',
  '/orders/42/refund',
  '/orders/42/refund/x',
  '/open/a/b',
  '/open/closed',
  '/open/closed/',
  '/Open/a',
  '/open/../orders/1',
  '/open/%2e%2e/orders/1',
  '/open/v1.2/notes..txt',
  '/a/x/c',
  '/a//c',
  '/elsewhere',
];

/** The gateway's verdict, assembled from its own modules exactly as its policy chain uses them. */
function gatewayIsPublic(
  auth: AuthMode,
  endpoints: EndpointSpec[],
  table: EndpointTable,
  method: string,
  path: string,
): boolean {
  if (isOpen({ service: 's', auth, endpoints })) return true;
  if (hasDotSegment(path)) return false;
  return modeOf(table.match(method, path), auth) === 'public';
}

/** A small deterministic generator, so a failure names a reproducible case. */
function* endpointSets(): Generator<EndpointSpec[]> {
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let set = 0; set < 300; set++) {
    const endpoints: EndpointSpec[] = [];
    const count = next(5);
    for (let i = 0; i < count; i++) {
      endpoints.push({
        method: METHODS[next(METHODS.length)] as EndpointSpec['method'],
        path: PATTERNS[next(PATTERNS.length)] as string,
        ...(next(2) === 0 ? { public: true } : next(2) === 0 ? { roles: ['clerk'] } : {}),
      });
    }
    yield endpoints;
  }
}

describe('SDK path access agrees with the gateway', () => {
  it('on every generated endpoint set, mode, method and path', () => {
    let compared = 0;
    for (const endpoints of endpointSets()) {
      const table = EndpointTable.compile(endpoints);
      for (const auth of MODES) {
        const access = PathAccess.compile(auth, endpoints, '/');
        for (const method of ['GET', 'POST', 'DELETE', 'PUT']) {
          for (const path of PATHS) {
            const expected = gatewayIsPublic(auth, endpoints, table, method, path);
            const seen = access.isPublic(method, `${path}?q=1`);
            expect(seen, `${auth} ${JSON.stringify(endpoints)} ${method} ${path}`).toBe(expected);
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(50_000);
  });

  it('strips the base path the gateway puts in front, and needs an assertion for anything outside it', () => {
    const endpoints: EndpointSpec[] = [{ method: 'GET', path: '/catalog/*', public: true }];
    const access = PathAccess.compile('jwt', endpoints, '/v2/');
    expect(access.isPublic('GET', '/v2/catalog/1')).toBe(true);
    expect(access.isPublic('GET', '/v2/orders/1')).toBe(false);
    expect(access.isPublic('GET', '/catalog/1')).toBe(false);
    expect(access.isPublic('GET', '/v2catalog/1')).toBe(false);
    const open = PathAccess.compile('public', [], '/v2');
    expect(open.open).toBe(true);
    expect(open.isPublic('GET', '/anything/../at/all')).toBe(true);
  });
});
