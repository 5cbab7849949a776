import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashRegistrationKey } from '../packages/portico/src/registry/registration-auth.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

// "Not on loopback" is simulated with `registry.auth: required`: the admin port stays on
// 127.0.0.1 (tests bind loopback only), but the registry then treats every caller as remote.
const KEY_A = 'key-of-alpha-0123456789abcdef0123456789';
const KEY_B = 'key-of-beta-0123456789abcdef01234567890';

describe('registry writes need a credential tied to the service (registry.auth: required)', () => {
  let portico: PorticoProc;
  let sdkService: ServiceProc | undefined;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-registry-auth-'));
    const file = join(dir, 'portico.yaml');
    writeFileSync(
      file,
      [
        'registry:',
        '  auth: required',
        '  keys:',
        `    alpha: ["${hashRegistrationKey(KEY_A)}"]`,
        `    beta: ["${hashRegistrationKey(KEY_B)}"]`,
        '',
      ].join('\n'),
    );
    portico = await startPortico({ PORTICO_CONFIG: file }, 'registry');
  });
  afterAll(async () => {
    await sdkService?.stop();
    await portico.stop();
  });

  const write = (method: string, path: string, key?: string, body?: unknown) =>
    fetch(`${portico.adminUrl}/v1/registry${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const instance = (id: string, service: string) => ({ id, service, host: '127.0.0.1', port: 5100 });
  const read = async (id: string) =>
    (
      (await (await fetch(`${portico.adminUrl}/v1/registry/instances/${id}`)).json()) as {
        data: { service: string; lastHeartbeat: string };
      }
    ).data;
  const errorOf = async (response: Response) =>
    ((await response.json()) as { success: boolean; error: { code: string } }).error.code;

  it('refuses a register without a credential or with a wrong one (401), and registers nothing', async () => {
    const none = await write('POST', '/instances', undefined, instance('rogue-1', 'alpha'));
    expect(none.status).toBe(401);
    expect(await errorOf(none)).toBe('AUTHENTICATION_ERROR');
    const wrong = await write('POST', '/instances', 'not-a-key', instance('rogue-1', 'alpha'));
    expect(wrong.status).toBe(401);
    expect(await errorOf(wrong)).toBe('AUTHENTICATION_ERROR');
    expect((await fetch(`${portico.adminUrl}/v1/registry/instances/rogue-1`)).status).toBe(404);
  });

  it('refuses a heartbeat without a credential, and the lease is not renewed', async () => {
    expect((await write('POST', '/instances', KEY_A, { ...instance('a-hb', 'alpha'), ttlSeconds: 60 })).status).toBe(
      201,
    );
    const before = await read('a-hb');
    const rogue = await write('PUT', '/instances/a-hb/heartbeat');
    expect(rogue.status).toBe(401);
    expect(await errorOf(rogue)).toBe('AUTHENTICATION_ERROR');
    const after = await read('a-hb');
    expect(after.lastHeartbeat).toBe(before.lastHeartbeat);
  });

  it('refuses a deregister without a credential, and the instance stays', async () => {
    expect((await write('POST', '/instances', KEY_A, instance('a-dereg', 'alpha'))).status).toBe(201);
    const rogue = await write('DELETE', '/instances/a-dereg', 'Basic nonsense');
    expect(rogue.status).toBe(401);
    expect(await errorOf(rogue)).toBe('AUTHENTICATION_ERROR');
    expect((await fetch(`${portico.adminUrl}/v1/registry/instances/a-dereg`)).status).toBe(200);
    expect((await write('DELETE', '/instances/a-dereg', KEY_A)).status).toBe(200);
  });

  it("a valid key of alpha cannot register, re-register, heartbeat or deregister beta's instances (403)", async () => {
    expect((await write('POST', '/instances', KEY_B, instance('b-1', 'beta'))).status).toBe(201);
    const attempts = [
      await write('POST', '/instances', KEY_A, instance('b-new', 'beta')),
      // Taking over beta's id under alpha's name would steal its traffic.
      await write('POST', '/instances', KEY_A, instance('b-1', 'alpha')),
      await write('PUT', '/instances/b-1/heartbeat', KEY_A),
      await write('DELETE', '/instances/b-1', KEY_A),
    ];
    for (const response of attempts) {
      expect(response.status).toBe(403);
      expect(await errorOf(response)).toBe('AUTHORIZATION_ERROR');
    }
    const b1 = await read('b-1');
    expect(b1.service).toBe('beta');
    expect((await fetch(`${portico.adminUrl}/v1/registry/instances/b-new`)).status).toBe(404);
    expect((await write('PUT', '/instances/b-1/heartbeat', KEY_B)).status).toBe(200);
  });

  it('the SDK with PORTICO_REGISTRATION_KEY registers and heartbeats', async () => {
    sdkService = await startService('echo-service', portico.adminUrl, {
      SERVICE_NAME: 'alpha',
      HEARTBEAT_SECONDS: '1',
      PORTICO_REGISTRATION_KEY: KEY_A,
    });
    const id = sdkService.instanceId;
    const first = await read(id);
    expect(first.service).toBe('alpha');
    let renewed = first.lastHeartbeat;
    for (let i = 0; i < 40 && renewed === first.lastHeartbeat; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      renewed = (await read(id)).lastHeartbeat;
    }
    expect(renewed).not.toBe(first.lastHeartbeat);
  });

  it('an SDK service without the key is refused and says so, instead of retrying forever', async () => {
    const refused = startService('echo-service', portico.adminUrl, {
      SERVICE_NAME: 'alpha',
      PORTICO_REGISTRATION_KEY: '',
    });
    await expect(refused).rejects.toThrow(/AUTHENTICATION_ERROR|registration key/);
  });
});
