/**
 * In-process identity for tests: the real store (PGlite in memory or a PostgreSQL database), the
 * real identity core, and its two Fastify apps driven with `inject()` (no sockets).
 */
import type {} from '@fastify/swagger';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createAdminServer } from '../../packages/portico/src/admin/admin-server.js';
import { PlatformHealth } from '../../packages/portico/src/health/platform-health.js';
import { createPublicIdentityApp } from '../../packages/portico/src/identity/http/public-app.js';
import { Identity } from '../../packages/portico/src/identity/identity.js';
import { DEFAULT_IDENTITY_OPTIONS, type IdentityOptions } from '../../packages/portico/src/identity/options.js';
import { createLogger } from '../../packages/portico/src/logger.js';
import { openStore } from '../../packages/portico/src/store/index.js';
import { openSecretBox } from '../../packages/portico/src/store/secrets/open-secret-box.js';
import type { Store } from '../../packages/portico/src/store/store.js';
import type { Json } from './http.js';
import { type PostgresServer, startPostgres } from './postgres.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

/** The key-encryption key of the tests' PostgreSQL stores (a memory store makes its own). */
export const TEST_STORE_KEYS = `test-kek:${Buffer.alloc(32, 7).toString('base64')}`;

/** The two engines every store and identity suite runs against. */
export const ENGINES = ['pglite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

let server: Promise<PostgresServer> | undefined;
let databases = 0;

/** A fresh store on `engine`: PGlite in memory, or a new database on this file's PostgreSQL server. */
export async function freshStore(engine: Engine): Promise<Store> {
  if (engine === 'pglite') return openStore({ url: 'memory:', dataDir: '', poolSize: 1 });
  server ??= startPostgres();
  const url = await (await server).createDatabase(`portico_${process.pid}_${++databases}`);
  return openStore({ url, dataDir: '', poolSize: 20 });
}

/** Stops this file's PostgreSQL server, if one was started. */
export async function stopPostgres(): Promise<void> {
  if (server) await (await server).stop();
  server = undefined;
}

/** One reply of `inject`, with the JSON body parsed. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: Json;
  text: string;
}

/** Identity on a store, with its public and admin apps. */
export interface IdentityHarness {
  identity: Identity;
  store: Store;
  publicApp: FastifyInstance;
  adminApp: FastifyInstance;
  /** Lines the apps logged, for the secrets grep. */
  logs: string[];
  call(app: 'public' | 'admin', options: InjectOptions): Promise<Reply>;
  /** `POST /auth/login`, from `ip` (default 127.0.0.1). */
  login(tenant: string, username: string, password: string, ip?: string): Promise<Reply>;
  /** A fresh access token of the platform admin (a login each time: keys may have rotated). */
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens identity on a fresh store of `engine`. The logger writes into `logs` at debug level,
 * so a test can grep everything that would have gone to a log.
 */
export async function openIdentity(engine: Engine, options: Partial<IdentityOptions> = {}): Promise<IdentityHarness> {
  const store = await freshStore(engine);
  const logs: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => logs.push(line) });
  const { box } = await openSecretBox(store, {
    encryptionKeys: engine === 'postgres' ? TEST_STORE_KEYS : '',
    encryptionKeyFile: '',
    dataDir: '',
  });
  const { identity } = await Identity.open(
    store,
    {
      ...DEFAULT_IDENTITY_OPTIONS,
      adminPassword: ADMIN_PASSWORD,
      ...options,
    },
    box,
  );
  const publicApp = await createPublicIdentityApp({ identity, logger });
  const adminApp = await createAdminServer({
    logger,
    health: new PlatformHealth(),
    maxTtlSeconds: 3600,
    identity,
    publicDocument: () => publicApp.swagger(),
  });
  await adminApp.ready();
  const call = async (app: 'public' | 'admin', options: InjectOptions): Promise<Reply> => {
    const response = await (app === 'public' ? publicApp : adminApp).inject(options);
    let body: Json = null;
    try {
      body = JSON.parse(response.body);
    } catch {
      body = null;
    }
    return { status: response.statusCode, headers: response.headers, body, text: response.body };
  };
  const login = (tenant: string, username: string, password: string, ip = '127.0.0.1') =>
    call('public', { method: 'POST', url: '/auth/login', payload: { tenant, username, password }, remoteAddress: ip });
  return {
    identity,
    store,
    publicApp,
    adminApp,
    logs,
    call,
    login,
    async adminToken() {
      const reply = await login('platform', 'admin', ADMIN_PASSWORD);
      if (reply.status !== 200) throw new Error(`admin login failed: ${reply.text}`);
      return reply.body.data.accessToken as string;
    },
    async close() {
      await publicApp.close();
      await adminApp.close();
      await identity.close();
      await store.close();
    },
  };
}

/** `Authorization: Bearer` for inject options. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
