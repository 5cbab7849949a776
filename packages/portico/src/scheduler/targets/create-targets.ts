import type { BusPort, ScheduleTarget } from '@portico/sdk';
import type { RegistryPort } from '../../registry/registry-port.js';
import { scheduleInvalid } from '../errors.js';
import { BusTarget } from './bus-target.js';
import { HttpTarget } from './http-target.js';
import type { TargetRunner } from './target-port.js';

/** The kinds of target, as a schedule names them. */
export const TARGET_KINDS = ['bus', 'http'] as const;

/** What the runners of a process need; a kind whose dependency is absent is refused. */
export interface TargetDeps {
  bus?: BusPort;
  registry?: RegistryPort;
}

/** Resolves a target's `kind` to its runner. */
export type TargetResolver = (target: ScheduleTarget) => TargetRunner;

/**
 * The runners of this process by kind: `bus` (needs the bus) and `http` (needs the registry). An
 * unknown kind, or one this process cannot run, is `SCHEDULE_INVALID`, not a crash.
 *
 * @example
 * ```ts
 * const resolve = createTargets({ bus, registry });
 * await resolve(schedule.target).run(call);
 * ```
 */
export function createTargets(deps: TargetDeps): TargetResolver {
  const runners: Partial<Record<string, TargetRunner>> = {
    ...(deps.bus ? { bus: new BusTarget(deps.bus) } : {}),
    ...(deps.registry ? { http: new HttpTarget(deps.registry) } : {}),
  };
  return (target) => {
    const runner = runners[target.kind];
    if (!runner) {
      const known = TARGET_KINDS.includes(target.kind as (typeof TARGET_KINDS)[number]);
      throw scheduleInvalid(
        'target.kind',
        known
          ? `this Portico has no ${target.kind} to run a "${target.kind}" target`
          : `unknown target kind "${String(target.kind)}": use one of ${TARGET_KINDS.join(', ')}`,
      );
    }
    return runner;
  };
}
