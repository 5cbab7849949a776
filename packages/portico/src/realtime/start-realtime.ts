import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { BusPort } from '@portico/sdk';
import type { Logger } from 'pino';
import type { RealtimeConfig } from '../config/realtime-schema.js';
import type { IdentityView } from '../identity/identity-view.js';
import { type BusFeed, startBusFeed } from './bus-feed.js';
import { RealtimeHub } from './realtime-hub.js';

/** The running hub and the upgrade handler the gateway's node:http server calls. */
export interface RunningRealtime {
  hub: RealtimeHub;
  /** True when it took the upgrade; false leaves the socket to the next handler. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): Promise<void>;
}

/**
 * Starts the realtime hub of one gateway process; with a bus, it is fed from `config.topic`.
 *
 * @example
 * ```ts
 * const realtime = await startRealtime(config.realtime, identityView, logger, bus);
 * ```
 */
export async function startRealtime(
  config: RealtimeConfig,
  identity: IdentityView | undefined,
  logger: Logger,
  bus?: BusPort,
): Promise<RunningRealtime> {
  const hub = new RealtimeHub(config, identity, logger);
  const feed: BusFeed | undefined = bus ? await startBusFeed(bus, config.topic, hub, logger) : undefined;
  return {
    hub,
    upgrade(req, socket, head) {
      if (!config.enabled || !hub.serves(req.url)) return false;
      hub.handleUpgrade(req, socket, head);
      return true;
    },
    async close() {
      hub.close();
      await feed?.close();
    },
  };
}
