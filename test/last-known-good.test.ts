import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeLastKnownGood } from '../packages/portico/src/registry/last-known-good-file.js';
import { closedPort } from './support/bad-upstreams.js';
import { request, waitUntil } from './support/http.js';
import { type Proc, startPortico, startService } from './support/processes.js';
import { tcpRelay } from './support/tcp-relay.js';

/**
 * A gateway started alone keeps what its registry told it in `dataDir/last-known-good.json`; one
 * that starts while every registry is down routes from that file within a second, and catches
 * up when the registry returns: from a snapshot after the registry restarted empty, from the
 * file's revision (changes only) when the registry was merely out of reach.
 */
const started: Proc[] = [];
afterAll(async () => {
  await Promise.all(started.map((proc) => proc.stop('SIGKILL')));
});
function track<T extends Proc>(proc: T): T {
  started.push(proc);
  return proc;
}

const routed = async (url: string) => (await request(url).catch(() => ({ status: 0 }))).status === 200;
const fileState = (dataDir: string) => {
  try {
    const read = decodeLastKnownGood(readFileSync(join(dataDir, 'last-known-good.json'), 'utf8'));
    return read.kind === 'loaded' ? read.state : undefined;
  } catch {
    return undefined;
  }
};
const statusOf = async (adminUrl: string) => (await request(`${adminUrl}/v1/status`)).body.data;

/** Milliseconds from the gateway's "portico started" line until `url` answers 200. */
async function timeToRoute(url: string): Promise<number> {
  return waitUntil(() => routed(url), 5_000, 10);
}

describe('last-known-good file: a gateway that starts while the registry is down', () => {
  it('routes from the file within 1 s, refuses a tampered file, and catches up when the registry restarts', async () => {
    const registryPort = await closedPort();
    const registryEnv = { PORTICO_ADMIN_PORT: String(registryPort) };
    let registry = track(await startPortico(registryEnv, 'registry'));
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-lkg-'));
    const gatewayEnv = { PORTICO_REGISTRY_URL: registry.adminUrl, PORTICO_DATA_DIR: dataDir };
    let gateway = track(await startPortico(gatewayEnv, 'gateway'));
    track(
      await startService('echo-service', registry.adminUrl, {
        INSTANCE_ID: 'lkg-a',
        HEARTBEAT_SECONDS: '1',
        TTL_SECONDS: '3',
      }),
    );
    await waitUntil(() => routed(`${gateway.publicUrl}/api/echo/x`), 10_000);
    // A route added through this gateway's admin API is kept in the file too.
    const put = await request(`${gateway.adminUrl}/v1/gateway/routes/shop`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paths: ['/shop/*'], service: 'echo', stripPrefix: '/shop' }),
    });
    expect(put.status).toBe(201);
    await waitUntil(() => {
      const state = fileState(dataDir);
      return Boolean(state?.instances.some((i) => i.id === 'lkg-a') && state.routes.some((r) => r.name === 'shop'));
    }, 10_000);

    await gateway.stop();
    await registry.stop('SIGKILL');

    gateway = track(await startPortico(gatewayEnv, 'gateway'));
    const elapsed = await timeToRoute(`${gateway.publicUrl}/api/echo/x`);
    expect(elapsed).toBeLessThan(1_000);
    expect((await request(`${gateway.publicUrl}/shop/x`)).status).toBe(200);
    const readyz = await request(`${gateway.publicUrl}/readyz`);
    expect(readyz.status).toBe(200);
    expect(readyz.body.details.registry).toMatch(
      /^degraded: registry unreachable; routing from the last-known-good file/,
    );
    const away = await statusOf(gateway.adminUrl);
    expect(away.registry.state).toBe('last-known-good');
    expect(away.registry.follow.lastKnownGood.loaded.revision).toBe(fileState(dataDir)?.revision);

    // The registry restarts empty (a new epoch): the instance re-registers, a new service appears.
    registry = track(await startPortico(registryEnv, 'registry'));
    track(await startService('echo-service', registry.adminUrl, { SERVICE_NAME: 'later', INSTANCE_ID: 'lkg-later' }));
    await waitUntil(() => routed(`${gateway.publicUrl}/api/later/x`), 15_000);
    expect(await routed(`${gateway.publicUrl}/api/echo/x`)).toBe(true);
    // A route is back once one watch has resumed; each of the gateway's registry watches reconnects
    // on its own jittered backoff, so "connected" (all of them) may follow a moment later.
    await waitUntil(async () => (await statusOf(gateway.adminUrl)).registry.state === 'connected', 15_000);
    const back = await statusOf(gateway.adminUrl);
    expect(back.registry).toMatchObject({ state: 'connected', follow: { source: 'registry', connected: true } });
    expect((await request(`${gateway.publicUrl}/readyz`)).body.details).toBeUndefined();
    await waitUntil(() => Boolean(fileState(dataDir)?.instances.some((i) => i.id === 'lkg-later')), 10_000);

    // Tampered: one byte of the payload changed, the checksum left as it was.
    await gateway.stop();
    await registry.stop('SIGKILL');
    const file = join(dataDir, 'last-known-good.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('lkg-later', 'lkg-LATER'));
    gateway = track(await startPortico(gatewayEnv, 'gateway'));
    const refusal = await gateway.waitForLine(/last-known-good file refused/, 5_000);
    expect(JSON.parse(refusal).reason).toMatch(/^checksum mismatch/);
    expect((await request(`${gateway.publicUrl}/readyz`)).status).toBe(503);
    expect((await request(`${gateway.publicUrl}/api/echo/x`)).status).not.toBe(200);
    expect((await statusOf(gateway.adminUrl)).registry.follow.lastKnownGood.refused).toMatch(/checksum mismatch/);
  }, 120_000);

  it('resumes from the file revision, with the changes made meanwhile and no snapshot', async () => {
    const registry = track(await startPortico({}, 'registry'));
    const relay = await tcpRelay(Number(new URL(registry.adminUrl).port));
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-lkg-'));
    const gatewayEnv = { PORTICO_REGISTRY_URL: relay.url, PORTICO_DATA_DIR: dataDir };
    let gateway = track(await startPortico(gatewayEnv, 'gateway'));
    track(await startService('echo-service', registry.adminUrl, { INSTANCE_ID: 'lkg-c', TTL_SECONDS: '60' }));
    await waitUntil(() => routed(`${gateway.publicUrl}/api/echo/x`), 10_000);
    await waitUntil(() => Boolean(fileState(dataDir)?.instances.some((i) => i.id === 'lkg-c')), 10_000);
    await gateway.stop();

    // Partitioned: the registry runs on and changes, the gateway cannot reach it.
    await relay.cut();
    track(await startService('echo-service', registry.adminUrl, { INSTANCE_ID: 'lkg-d', TTL_SECONDS: '60' }));
    gateway = track(await startPortico(gatewayEnv, 'gateway'));
    expect(await timeToRoute(`${gateway.publicUrl}/api/echo/x`)).toBeLessThan(1_000);
    const instancesOf = async () =>
      ((await request(`${gateway.adminUrl}/v1/gateway/services`)).body.data as { instances: { id: string }[] }[])
        .flatMap((s) => s.instances)
        .map((i) => i.id);
    expect(await instancesOf()).toEqual(['lkg-c']);

    await relay.restore();
    await waitUntil(async () => (await instancesOf()).includes('lkg-d'), 15_000);
    await waitUntil(async () => (await statusOf(gateway.adminUrl)).registry.state === 'connected', 15_000);
    const status = await statusOf(gateway.adminUrl);
    expect(status.registry.state).toBe('connected');
    expect(status.registry.follow).toMatchObject({ source: 'registry', snapshots: 0 });
    expect(status.registry.follow.changes).toBeGreaterThanOrEqual(1);
    await gateway.waitForLine(/"how":"resumed".*registry back/, 1_000);
    await relay.cut();
  }, 90_000);
});
