import type {
  Instance,
  InstanceRegistration,
  RegistryChange,
  RegistrySnapshot,
  ServiceDetail,
  ServiceSummary,
} from '@portico/sdk';

/** What a watcher receives: a whole snapshot (at the start, or to resync) or one change. */
export type WatchEvent =
  | { kind: 'snapshot'; epoch: string; snapshot: RegistrySnapshot }
  | { kind: 'change'; epoch: string; change: RegistryChange };

/** Where a watcher wants to start: nothing (snapshot first) or after a revision of an epoch. */
export interface WatchFrom {
  /** The registry incarnation the revision belongs to; a different one means resync. */
  epoch?: string;
  /** The last revision the watcher has seen. */
  since?: number;
}

/** A live watch; `close` stops delivery. */
export interface WatchSubscription {
  close(): void;
}

/** The outcome of a register call. */
export interface Registered {
  instance: Instance;
  created: boolean;
}

/** A gateway's public assertion key (an Ed25519 JWK with its `kid`), as published. */
export interface PublishedJwk {
  kty: string;
  crv: string;
  x: string;
  kid: string;
  alg?: string;
  use?: string;
}

/**
 * Where gateways publish the public keys of their identity assertions and services read them
 * (DESIGN principle 4). A key is held for a lease that its gateway renews, so keys of gateways
 * that died expire.
 */
export interface AssertionKeyPort {
  /** Publishes or renews a key for `ttlSeconds`. */
  publishAssertionKey(jwk: PublishedJwk, ttlSeconds: number): Promise<void>;
  /** The keys whose lease runs, for the JWKS. */
  assertionKeys(): Promise<PublishedJwk[]>;
}

/**
 * The registry as every other component sees it (DESIGN principle 1): the gateway routes from
 * its watch, the admin API serves it over HTTP. Adapters: memory (in-process, all-in-one), and
 * later a network client of the admin API and a Redis-backed store.
 */
export interface RegistryPort extends AssertionKeyPort {
  /** Registers or, for a known id, replaces an instance; registration must already be validated. */
  register(registration: InstanceRegistration): Promise<Registered>;
  /** Renews a lease; `undefined` for an unknown id. */
  heartbeat(id: string): Promise<Instance | undefined>;
  /** Removes an instance; `undefined` for an unknown id. */
  deregister(id: string): Promise<Instance | undefined>;
  instance(id: string): Promise<Instance | undefined>;
  services(): Promise<ServiceSummary[]>;
  service(name: string): Promise<ServiceDetail | undefined>;
  /**
   * Streams changes to `listener`: the missed changes after `from.since` when they are still
   * held, otherwise a snapshot first; then every change as it happens, in revision order.
   */
  watch(from: WatchFrom, listener: (event: WatchEvent) => void): WatchSubscription;
  /** Number of live watchers, for health and metrics. */
  watcherCount(): number;
  close(): Promise<void>;
}
