import type { BusPort } from '@portico/sdk';
import { PLATFORM_TENANT } from '../../identity/permissions.js';
import type { TargetCall, TargetRunner } from './target-port.js';

/**
 * Publishes the run as one bus message of the target's `type`; success is the publish being
 * durable. The message id is the run's, the same on every attempt, so a retried publish is not a
 * second message (the bus's dedup window). The tenant of the message is the schedule's (none for
 * the platform's own schedules), so a tenant's consumers see only their tenant's runs.
 *
 * @example
 * ```ts
 * const runner = new BusTarget(bus);
 * await runner.run({ target: { kind: 'bus', type: 'market.archive' }, message, signal });
 * ```
 */
export class BusTarget implements TargetRunner {
  constructor(private readonly bus: BusPort) {}

  async run({ target, message, signal }: TargetCall): Promise<void> {
    if (target.kind !== 'bus') throw new Error(`a bus target cannot run a ${target.kind} target`);
    signal.throwIfAborted();
    const publish = this.bus.publish({
      type: target.type,
      id: `schedule-run-${message.runId}`,
      tenantId: message.tenant === PLATFORM_TENANT ? null : message.tenant,
      key: target.key ?? `schedule.${message.tenant}.${message.schedule}`,
      data: message,
    });
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      publish.then(
        () => resolve(),
        (error: unknown) => reject(error),
      );
      publish.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => undefined);
    });
  }
}
