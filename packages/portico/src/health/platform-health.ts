import { type HealthCheck, type HealthReport, healthHttpStatus, healthReport } from '@portico/sdk';
import { sendJson } from '../http/envelope-response.js';
import type { GatewayResponse } from '../http/gateway-message.js';
import { VERSION } from '../version.js';

/**
 * The process's health, shared by both ports: dependency checks for `/health`, readiness
 * conditions for `/readyz` (all must hold, and the process must not be shutting down).
 */
export class PlatformHealth {
  private readonly startedAt = Date.now();
  private readonly checks: Record<string, HealthCheck> = {};
  private readonly readiness: (() => boolean)[] = [];
  private readonly readinessDetails: Record<string, () => string | undefined> = {};
  private shuttingDown = false;

  /** Adds a dependency to `/health`. */
  addCheck(name: string, check: HealthCheck): void {
    this.checks[name] = check;
  }

  /** Adds a condition `/readyz` needs, e.g. "the routing table has its first snapshot". */
  addReadiness(condition: () => boolean): void {
    this.readiness.push(condition);
  }

  /**
   * Adds a line that `/readyz` shows under `details` while it says something: a ready process
   * that runs degraded (routing from its last-known-good file, say) tells the orchestrator why.
   */
  addReadinessDetail(name: string, detail: () => string | undefined): void {
    this.readinessDetails[name] = detail;
  }

  /** The readiness details that currently say something. */
  readinessNotes(): Record<string, string> {
    const notes: Record<string, string> = {};
    for (const [name, detail] of Object.entries(this.readinessDetails)) {
      const note = detail();
      if (note !== undefined) notes[name] = note;
    }
    return notes;
  }

  /** From now on `/readyz` fails, so load balancers stop sending new traffic. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  isReady(): boolean {
    return !this.shuttingDown && this.readiness.every((condition) => condition());
  }

  report(): Promise<HealthReport> {
    return healthReport(this.checks, { version: VERSION, startedAt: this.startedAt });
  }

  /** Answers `/health`, `/livez` or `/readyz` on a raw response; false for any other path. */
  answer(path: string, res: GatewayResponse, requestId: string): boolean {
    const headers = { 'x-request-id': requestId };
    if (path === '/livez') {
      sendJson(res, 200, '{"status":"ok"}', headers);
    } else if (path === '/readyz') {
      const ready = this.isReady();
      const details = this.readinessNotes();
      const body = { status: ready ? 'ready' : 'not ready', ...(Object.keys(details).length > 0 ? { details } : {}) };
      sendJson(res, ready ? 200 : 503, JSON.stringify(body), headers);
    } else if (path === '/health') {
      this.report().then(
        (report) => sendJson(res, healthHttpStatus(report.status), JSON.stringify(report), headers),
        () => sendJson(res, 503, '{"status":"unhealthy"}', headers),
      );
    } else {
      return false;
    }
    return true;
  }
}
