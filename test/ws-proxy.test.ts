/**
 * The gateway's WebSocket proxy against a real Portico process and a real service with a ws
 * endpoint (test/fixtures/ws-echo-service.mjs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signIn } from './support/admin.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

const PASSWORD = 'ws-proxy-admin-password';

/** Opens a socket; resolves with its first frame, or with the HTTP status of a refused upgrade. */
function attempt(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ ws?: WebSocket; first?: Record<string, unknown>; status?: number; body?: string }>(
    (resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.once('message', (raw) => resolve({ ws, first: JSON.parse(raw.toString()) }));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.once('error', (error) => reject(error));
    },
  );
}

describe('WebSocket proxy', () => {
  let portico: PorticoProc;
  const services: ServiceProc[] = [];
  let base = '';
  let token = '';

  beforeAll(async () => {
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD });
    base = portico.publicUrl.replace('http', 'ws');
    token = await signIn(portico, 'platform', 'admin', PASSWORD);
    services.push(await startService('ws-echo-service', portico.adminUrl, { SERVICE_NAME: 'wsopen' }));
    services.push(await startService('ws-echo-service', portico.adminUrl, { SERVICE_NAME: 'wsjwt', AUTH_MODE: 'jwt' }));
  }, 120_000);
  afterAll(async () => {
    for (const s of services) await s.stop();
    await portico?.stop();
  });

  it('reaches a service through the proxy, both ways, without letting gateway headers through', async () => {
    const { ws, first } = await attempt(`${base}/api/wsopen/live?x=1`, { 'x-portico-forged': 'me' });
    expect(first).toMatchObject({ type: 'hello', url: '/live?x=1', forgedHeader: null });
    const echoed = new Promise<string>((resolve) => ws?.once('message', (raw) => resolve(raw.toString())));
    ws?.send('ping-through');
    expect(await echoed).toBe('ping-through');
    ws?.close();
  });

  it('runs the policy chain: no credential is a 401 envelope, a token passes with the assertion', async () => {
    const denied = await attempt(`${base}/api/wsjwt/live`);
    expect(denied.status).toBe(401);
    expect(JSON.parse(denied.body as string).error.code).toBe('AUTHENTICATION_ERROR');
    const admitted = await attempt(`${base}/api/wsjwt/live`, { authorization: `Bearer ${token}` });
    expect(admitted.first).toMatchObject({ type: 'hello', assertion: true });
    admitted.ws?.close();
  });

  it('answers an unknown service with a NOT_FOUND envelope before switching protocols', async () => {
    const unknown = await attempt(`${base}/api/nosuch/live`);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body as string).error.code).toBe('NOT_FOUND');
  });
});
