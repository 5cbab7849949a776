/**
 * SIGTERM to a real SDK process under steady traffic through the gateway: the instance
 * deregisters, finishes what it started, exits 0, and no caller sees a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, request, waitUntil } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Outcome {
  status: number | string;
  instance?: string;
  slow: boolean;
  sentAt: number;
  doneAt: number;
}

describe('SIGTERM drains an SDK instance without failing a request', () => {
  let portico: PorticoProc;
  let leaving: ServiceProc;
  let staying: ServiceProc;

  beforeAll(async () => {
    portico = await startPortico();
    [leaving, staying] = await Promise.all([
      startService('echo-service', portico.adminUrl, {
        SERVICE_NAME: 'sig',
        INSTANCE_ID: 'sig-a',
        PROPAGATION_MS: '300',
      }),
      startService('echo-service', portico.adminUrl, {
        SERVICE_NAME: 'sig',
        INSTANCE_ID: 'sig-b',
        PROPAGATION_MS: '300',
      }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([leaving?.stop('SIGKILL'), staying?.stop('SIGKILL')]);
    await portico?.stop();
  });

  async function send(path: string, slow: boolean): Promise<Outcome> {
    const sentAt = performance.now();
    try {
      const { status, body } = await request(`${portico.publicUrl}/api/sig${path}`);
      return { status, instance: (body as Json)?.data?.instance, slow, sentAt, doneAt: performance.now() };
    } catch (error) {
      return { status: `error: ${String(error)}`, slow, sentAt, doneAt: performance.now() };
    }
  }

  it('exits 0, completes in-flight slow requests and is removed from the registry', async () => {
    const { body: before } = await request(`${portico.adminUrl}/v1/registry/services/sig`);
    expect(before.data.instances.map((i: Json) => i.id).sort()).toEqual(['sig-a', 'sig-b']);

    // Steady traffic for a bounded 3 s (and at most 1000 requests per worker); every 8th is slow.
    const outcomes: Outcome[] = [];
    const until = performance.now() + 3_000;
    const worker = async (w: number) => {
      for (let i = 0; performance.now() < until && i < 1_000; i++) {
        const slow = i % 8 === 7;
        outcomes.push(await send(slow ? `/w${w}/${i}?delay=300` : `/w${w}/${i}`, slow));
        await sleep(5);
      }
    };
    const workers = [0, 1, 2, 3].map(worker);

    await sleep(800);
    // Slow requests certainly in flight on both instances when the signal lands: round-robin
    // spreads these four over the two instances, and each takes longer than the propagation wait.
    const inFlight = [0, 1, 2, 3].map((i) => send(`/inflight/${i}?delay=800`, true));
    await sleep(150);
    const signalledAt = performance.now();
    const exitCode = await Promise.race([
      leaving.stop('SIGTERM'),
      sleep(10_000).then(() => 'still running after 10 s'),
    ]);
    const exitedAt = performance.now();
    expect(exitCode).toBe(0);

    // Gone from the registry at once: deregistered, not left to expire (the TTL is 30 s).
    const { status, body: after } = await request(`${portico.adminUrl}/v1/registry/services/sig`);
    expect(status).toBe(200);
    expect(after.data.instances.map((i: Json) => i.id)).toEqual(['sig-b']);

    const slowOnes = await Promise.all(inFlight);
    await Promise.all(workers);

    expect(slowOnes.map((o) => o.status)).toEqual([200, 200, 200, 200]);
    const drainedByLeaving = slowOnes.filter((o) => o.instance === 'sig-a');
    expect(drainedByLeaving.length).toBeGreaterThan(0);
    for (const o of drainedByLeaving) expect(o.doneAt).toBeGreaterThan(signalledAt);

    const failures = outcomes.filter((o) => o.status !== 200);
    expect(failures).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(40);
    expect(outcomes.filter((o) => o.slow).length).toBeGreaterThan(4);
    // Requests really were sent while the instance drained, slow ones among them.
    const duringDrain = outcomes.filter((o) => o.sentAt > signalledAt && o.sentAt < exitedAt);
    expect(duringDrain.length).toBeGreaterThan(5);
    // Traffic reached the leaving instance before the signal and only the other one after it exited.
    expect(outcomes.some((o) => o.instance === 'sig-a' && o.sentAt < signalledAt)).toBe(true);
    const afterExit = outcomes.filter((o) => o.sentAt > exitedAt);
    expect(afterExit.length).toBeGreaterThan(0);
    expect(afterExit.every((o) => o.instance === 'sig-b')).toBe(true);

    // And the gateway keeps routing to the survivor.
    await waitUntil(async () => (await send('/final', false)).instance === 'sig-b', 1_000);
  });
});
