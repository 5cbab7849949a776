import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import type { GatewayPolicy } from './gateway-policy.js';

/** One problem in a `policies` block: the key path from the config's root, and what is wrong. */
export interface PolicyConfigProblem {
  readonly path: readonly string[];
  readonly message: string;
}

/**
 * Checks a `policies` block (a service's `services.{name}.policies`, a declared route's
 * `routes[i].policies`) against each policy's schema, then its `check` (rules across keys).
 * Problems carry the full key path, starting with `where` (the block's own path), so the config
 * loader can name the file and line; messages read like the loader's own (`must be a whole
 * number`, `must be one of: …`).
 *
 * @example
 * ```ts
 * policyConfigProblems(BUILT_IN_POLICIES, { rateLimit: { limit: 0, windowSeconds: 60 } }, ['services', 'orders', 'policies']);
 * // [{ path: ['services', 'orders', 'policies', 'rateLimit', 'limit'], message: 'must be >= 1' }]
 * ```
 */
export function policyConfigProblems(
  policies: readonly GatewayPolicy[],
  config: Record<string, unknown>,
  where: readonly string[],
): PolicyConfigProblem[] {
  const problems: PolicyConfigProblem[] = [];
  for (const [name, value] of Object.entries(config)) {
    const at = [...where, name];
    const policy = policies.find((p) => p.name === name);
    if (!policy) {
      problems.push({
        path: at,
        message: `is not a known policy; known: ${policies.map((p) => p.name).join(', ') || 'none'}`,
      });
      continue;
    }
    const seen = new Set<string>();
    for (const error of Value.Errors(policy.schema, value)) {
      // TypeBox may report one key twice (missing, then of the wrong type): the first says it.
      if (seen.has(error.path)) continue;
      seen.add(error.path);
      problems.push({ path: [...at, ...segments(error.path)], message: describe(error) });
    }
    if (seen.size > 0 || !policy.check) continue;
    for (const problem of policy.check(value)) {
      problems.push({ path: [...at, ...segments(problem.path)], message: problem.message });
    }
  }
  return problems;
}

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function describe(error: ValueError): string {
  const schema = error.schema as { minimum?: number; maximum?: number; anyOf?: { const?: unknown }[] };
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return 'is not a known setting';
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.Integer:
      return 'must be a whole number';
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be >= ${schema.minimum}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be <= ${schema.maximum}`;
    case ValueErrorType.Union: {
      const values = schema.anyOf?.map((option) => option.const);
      if (values?.every((value) => value !== undefined)) return `must be one of: ${values.join(', ')}`;
      return error.message;
    }
    default:
      return error.message;
  }
}
