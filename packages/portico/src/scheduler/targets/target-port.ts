import type { ScheduledMessage, ScheduleTarget } from '@portico/sdk';

/** One attempt of a run, as a target executes it. */
export interface TargetCall {
  target: ScheduleTarget;
  message: ScheduledMessage;
  /** Aborted at the schedule's `timeoutMs` or when Portico stops. */
  signal: AbortSignal;
}

/**
 * What a kind of target does with one attempt: resolves on success, throws (any error, its
 * message recorded) on failure. Adapters: `bus-target.ts` and `http-target.ts`; `create-targets.ts`
 * resolves a target's `kind` to one.
 */
export interface TargetRunner {
  run(call: TargetCall): Promise<void>;
}
