import { Value } from '@sinclair/typebox/value';
import { authentication } from './authentication.js';
import { authorization } from './authorization.js';
import { cors } from './cors.js';
import { EndpointTable } from './endpoint-table.js';
import type { AccessPhase, GatewayPolicy, PolicyEnvironment, ServiceAccess } from './gateway-policy.js';
import type { PolicyChain } from './policy-chain.js';
import { tenancy } from './tenancy.js';

export {
  type AccessPhase,
  ANSWERED,
  type GatewayPolicy,
  type PolicyDenial,
  type PolicyEnvironment,
  type ServiceAccess,
} from './gateway-policy.js';
export { type ChainOutcome, type PolicyChain, runChain } from './policy-chain.js';
export { PolicyExchange } from './policy-exchange.js';

/**
 * The built-in policies, in chain order (highest priority first): which origins a browser may
 * call from, who is calling, in which tenant, and may they.
 */
// biome-ignore lint/suspicious/noExplicitAny: each policy has its own config type
export const BUILT_IN_POLICIES: readonly GatewayPolicy<any>[] = [cors, authentication, tenancy, authorization];

/** Per-route configuration of one policy for one service, already validated; undefined when unset. */
export type PolicyConfigLookup = (service: string, policy: string) => unknown;

/**
 * Checks a service's policy configuration against each policy's schema; returns the problems as
 * `services.{service}.policies.{policy}{path}: message` lines (empty when all is well).
 *
 * @example
 * ```ts
 * const problems = checkPolicyConfig(BUILT_IN_POLICIES, 'orders', { authentication: { auth: 'jwt' } });
 * if (problems.length > 0) throw new Error(problems.join('\n'));
 * ```
 */
export function checkPolicyConfig(
  policies: readonly GatewayPolicy[],
  service: string,
  config: Record<string, unknown>,
): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(config)) {
    const policy = policies.find((p) => p.name === name);
    const where = `services.${service}.policies.${name}`;
    if (!policy) {
      problems.push(`${where}: unknown policy; known: ${policies.map((p) => p.name).join(', ') || 'none'}`);
      continue;
    }
    for (const error of Value.Errors(policy.schema, value)) problems.push(`${where}${error.path}: ${error.message}`);
  }
  return problems;
}

/**
 * Builds the function the routing table calls when a service's access settings change: every
 * policy compiles its phase for the service, and a service no policy applies to gets no chain
 * at all (the gateway then forwards without creating any per-request policy state).
 *
 * @example
 * ```ts
 * const compile = policyCompiler(BUILT_IN_POLICIES, { identity: view }, () => undefined);
 * const table = new RoutingTable(makeBalancer, policyFor, compile);
 * ```
 */
export function policyCompiler(
  policies: readonly GatewayPolicy[],
  env: PolicyEnvironment,
  configFor: PolicyConfigLookup,
): (access: ServiceAccess) => PolicyChain | undefined {
  for (let i = 1; i < policies.length; i++) {
    if ((policies[i] as GatewayPolicy).priority > (policies[i - 1] as GatewayPolicy).priority) {
      throw new Error(`gateway policies out of order: ${(policies[i] as GatewayPolicy).name} must come earlier`);
    }
  }
  return (access) => {
    const phases: AccessPhase[] = [];
    const names: string[] = [];
    for (const policy of policies) {
      const phase = policy.compile(access, configFor(access.service, policy.name), env);
      if (phase) {
        phases.push(phase);
        names.push(policy.name);
      }
    }
    if (phases.length === 0) return undefined;
    return { access, endpoints: EndpointTable.compile(access.endpoints), phases, names };
  };
}
