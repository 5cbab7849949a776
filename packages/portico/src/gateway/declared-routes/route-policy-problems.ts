import { BUILT_IN_POLICIES, type PolicyConfigProblem, policyConfigProblems } from '../policies/index.js';
import type { DeclaredRouteSpec } from './declared-route-spec.js';

/**
 * A declared route's `policies` checked against the built-in policies' schemas, with each
 * problem's path starting at `prefix` (`['routes', '2']` in portico.yaml, `[]` in an API body).
 *
 * @example
 * ```ts
 * routePolicyProblems({ name: 'r', paths: ['/r'], service: 's', policies: { cors: {} } }, ['routes', '0']);
 * // [{ path: ['routes', '0', 'policies', 'cors', 'origins'], message: 'is required' }]
 * ```
 */
export function routePolicyProblems(spec: DeclaredRouteSpec, prefix: readonly string[]): PolicyConfigProblem[] {
  if (spec.policies === undefined) return [];
  return policyConfigProblems(BUILT_IN_POLICIES, spec.policies, [...prefix, 'policies']);
}
