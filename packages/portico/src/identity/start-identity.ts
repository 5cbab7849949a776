import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { PorticoConfig } from '../config/schema.js';
import type { PublicMount } from '../gateway/gateway-server.js';
import { openStore } from '../store/index.js';
import { type OpenedSecretBox, openSecretBox } from '../store/secrets/open-secret-box.js';
import type { Store } from '../store/store.js';
import { createPublicIdentityApp, type LoginObserver, PUBLIC_IDENTITY_PATHS } from './http/public-app.js';
import { Identity } from './identity.js';
import { InProcessIdentityPort } from './in-process-port.js';
import { createLoginThrottle, type LoginThrottlePort } from './login-throttle/index.js';
import { identityOptionsFrom } from './options.js';

/** Identity running inside a Portico process. */
export interface RunningIdentity {
  readonly identity: Identity;
  /** The port an in-process gateway watches. */
  readonly port: InProcessIdentityPort;
  /** `/auth/*` and `/.well-known/jwks.json` for the gateway's public port. */
  readonly mount: PublicMount;
  readonly publicApp: FastifyInstance;
  /** The first admin's generated password, present only on the start that created it. */
  readonly generatedAdminPassword: string | undefined;
  close(): Promise<void>;
}

/**
 * Opens the store (migrating it), its secrets (the key-encryption keys must fit: docs/identity.md,
 * "Keys at rest"), the identity core on it, and the public identity app.
 *
 * @example
 * ```ts
 * const running = await startIdentity(config, logger);
 * createGateway({ ..., mounts: [running.mount] });
 * ```
 */
export async function startIdentity(
  config: PorticoConfig,
  logger: Logger,
  /** Counts logins (the process's metrics); absent, nothing is counted. */
  logins?: LoginObserver,
): Promise<RunningIdentity> {
  const store: Store = await openStore({
    url: config.store.url,
    dataDir: config.dataDir,
    poolSize: config.store.poolSize,
  });
  let throttle: LoginThrottlePort | undefined;
  try {
    const secrets = await openSecretBox(store, {
      encryptionKeys: config.store.encryptionKeys,
      encryptionKeyFile: config.store.encryptionKeyFile,
      dataDir: config.dataDir,
    });
    logSecrets(secrets, logger);
    throttle = await createLoginThrottle(config, logger);
    const { identity, generatedAdminPassword } = await Identity.open(
      store,
      identityOptionsFrom(config.identity),
      secrets.box,
      throttle,
    );
    const publicApp = await createPublicIdentityApp({ identity, logger, ...(logins ? { logins } : {}) });
    logger.info({ store: store.kind, location: store.location }, 'identity ready');
    return {
      identity,
      port: new InProcessIdentityPort(identity),
      mount: { paths: PUBLIC_IDENTITY_PATHS, handler: (req, res) => publicApp.routing(req, res) },
      publicApp,
      generatedAdminPassword,
      async close() {
        await publicApp.close();
        await identity.close();
        await store.close();
      },
    };
  } catch (error) {
    await throttle?.close();
    await store.close();
    throw error;
  }
}

/** What opening the secrets did, said once per start; the embedded default is a warning each time. */
function logSecrets(secrets: OpenedSecretBox, logger: Logger): void {
  const at = { keyId: secrets.keyId, ...(secrets.keyFile ? { keyFile: secrets.keyFile } : {}) };
  if (secrets.origin === 'generated' || secrets.origin === 'data-dir-file') {
    logger.warn(
      at,
      `${secrets.origin === 'generated' ? 'generated the store key file' : 'using the store key file'} beside the embedded store: a copy of the data directory holds the key too; for production, keep the key elsewhere with PORTICO_STORE_KEYS or PORTICO_STORE_KEY_FILE (docs/identity.md, "Keys at rest")`,
    );
  }
  for (const notice of secrets.notices) logger.warn(at, notice);
  if (secrets.sealed > 0) logger.info({ ...at, sealed: secrets.sealed }, 'encrypted secrets the store held in clear');
  if (secrets.rewrappedFrom.length > 0) {
    logger.info({ ...at, from: secrets.rewrappedFrom }, 're-wrapped the store data key with the first configured key');
  }
}
