import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from './support/bad-upstreams.js';
import { waitUntil } from './support/http.js';
import {
  PORTICO_BIN,
  type PorticoProc,
  type ServiceProc,
  spawnNode,
  startPortico,
  startService,
} from './support/processes.js';

/** Runs `portico status …` as a user would and collects its exit code and output. */
async function status(args: string[], env: Record<string, string> = {}) {
  const proc = spawnNode([PORTICO_BIN, 'status', ...args], env);
  const code = await proc.exited;
  return { code, out: proc.lines.join('\n') };
}

/**
 * `portico status` asks one process's admin port how it sees the cluster: an all-in-one (with
 * its bus), a registry alone, and a gateway alone before and after its registry goes away.
 */
describe('portico status', () => {
  let all: PorticoProc;
  let registry: PorticoProc;
  let gateway: PorticoProc;
  let service: ServiceProc;

  beforeAll(async () => {
    [all, registry] = await Promise.all([startPortico(), startPortico({}, 'registry')]);
    gateway = await startPortico({ PORTICO_REGISTRY_URL: registry.adminUrl }, 'gateway');
    service = await startService('echo-service', registry.adminUrl, { INSTANCE_ID: 'status-a' });
  }, 90_000);

  afterAll(async () => {
    await service?.stop('SIGKILL');
    await Promise.all([gateway?.stop(), all?.stop()]);
    await registry?.stop('SIGKILL');
  });

  it('prints a gateway alone: its role, registry, revision and what it routes', async () => {
    await waitUntil(async () => (await status(['--url', gateway.adminUrl])).out.includes('1 instances'), 10_000);
    const { code, out } = await status(['--url', gateway.adminUrl]);
    expect(code).toBe(0);
    expect(out).toMatch(/^portico \d+\.\d+\.\d+\S* at http:\/\/127\.0\.0\.1:\d+: role gateway, pid \d+, up \d+ s$/m);
    expect(out).toMatch(/^ready {7}yes$/m);
    expect(out).toContain(`registry    ${registry.adminUrl}: connected, revision 1 of epoch `);
    expect(out).toMatch(/^ {12}routes from registry; 1 snapshots, \d+ changes received$/m);
    expect(out).toMatch(/last-known-good \S+last-known-good\.json: /);
    expect(out).toContain('services    1 services, 1 instances');
    expect(out).toMatch(/^realtime {4}enabled, 0 connections, 0 channels, 0 delivered$/m);
  });

  it('reads PORTICO_ADMIN_URL, prints JSON with --json, and counts what a registry alone holds', async () => {
    const { code, out } = await status(['--json'], { PORTICO_ADMIN_URL: registry.adminUrl });
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed).toMatchObject({
      role: 'registry',
      ready: true,
      registry: { at: 'in-process', state: 'connected', revision: 1, services: 1, instances: 1 },
    });
    expect(parsed.gateway).toBeUndefined();
  });

  it('shows the bus of an all-in-one', async () => {
    const { code, out } = await status(['--url', all.adminUrl]);
    expect(code).toBe(0);
    expect(out).toMatch(/role all/);
    expect(out).toMatch(/^bus {9}embedded: healthy$/m);
    expect(out).toMatch(/^registry {4}in-process: connected, revision 0 of epoch /m);
  });

  it('says when the gateway lost its registry, and fails for a process that does not answer', async () => {
    await registry.stop('SIGKILL');
    await waitUntil(async () => (await status(['--url', gateway.adminUrl])).out.includes(': degraded,'), 10_000);
    const { out } = await status(['--url', gateway.adminUrl]);
    expect(out).toMatch(/^ready {7}yes \(registry: degraded: registry unreachable; routing with revision 1\)$/m);
    expect(out).toMatch(/^health {6}degraded \(.*registry degraded/m);

    const nobody = `http://127.0.0.1:${await closedPort()}`;
    const refused = await status(['--url', nobody]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`portico: no status from ${nobody}`);
    const wrong = await status(['--bogus']);
    expect(wrong.code).toBe(1);
    expect(wrong.out).toContain('unknown argument "--bogus"');
  });
});
