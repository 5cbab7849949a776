import type { Instance } from '@portico/sdk';
import type { RoutingTable } from '../gateway/routing-table.js';
import type { PlatformHealth } from '../health/platform-health.js';
import type { RealtimeHub } from '../realtime/realtime-hub.js';
import type { RegistryFollower, RegistryFollowStatus } from '../registry/last-known-good.js';
import type { RegistryPort } from '../registry/registry-port.js';
import { VERSION } from '../version.js';

/** Where `portico status` reads a process's view of the cluster, on its admin port. */
export const STATUS_PATH = '/v1/status';

/** What one process knows, for {@link processStatus}. */
export interface StatusSources {
  role: string;
  health: PlatformHealth;
  registry: RegistryPort;
  /** The admin URL of the registry a gateway started alone follows. */
  registryUrl?: string;
  /** Present where a gateway runs: what it routes and where that came from. */
  follower?: RegistryFollower;
  table?: RoutingTable;
  bus?: { adapter: string };
  realtime?: { enabled: boolean; hub: RealtimeHub };
}

/** `GET /v1/status`'s data: the cluster as this process sees it. */
export interface ProcessStatus {
  role: string;
  version: string;
  pid: number;
  startedAt: string;
  uptimeSeconds: number;
  ready: boolean;
  readiness: Record<string, string>;
  health: string;
  dependencies: Record<string, string>;
  registry: {
    /** `in-process`, or the URL of the registry this process follows. */
    at: string;
    /** `connected`, `degraded` (away; routing with what it last knew), `last-known-good` (routing from the file), `connecting`. */
    state: 'connected' | 'degraded' | 'last-known-good' | 'connecting';
    epoch: string | undefined;
    revision: number;
    services: number;
    instances: number;
    follow?: RegistryFollowStatus;
  };
  gateway?: { services: number; instances: number; staleInstances: number };
  bus?: { adapter: string; status: string };
  realtime?: { enabled: boolean; connections: number; channels: number; delivered: number };
}

/**
 * Collects what `portico status` prints; served at {@link STATUS_PATH} by both admin servers.
 * It reads only memory (a registry in this process answers from its own), so it is cheap.
 *
 * @example
 * ```ts
 * app.get(STATUS_PATH, async (request) => ok(await processStatus(sources), request.id));
 * ```
 */
export async function processStatus(sources: StatusSources): Promise<ProcessStatus> {
  const { health, follower, table, bus, realtime } = sources;
  const report = await health.report();
  const follow = follower?.status();
  const local =
    follower === undefined || sources.registryUrl === undefined ? await localView(sources.registry) : undefined;
  // A registry in this process counts what it holds; a gateway alone, what it routes.
  const services = local ? new Set(local.instances.map((i) => i.service)).size : (table?.routeCount() ?? 0);
  const instances = local ? local.instances.length : (table?.upstreamCount() ?? 0);
  const status: ProcessStatus = {
    role: sources.role,
    version: VERSION,
    pid: process.pid,
    startedAt: new Date(Date.now() - report.uptime_seconds * 1000).toISOString(),
    uptimeSeconds: report.uptime_seconds,
    ready: health.isReady(),
    readiness: health.readinessNotes(),
    health: report.status,
    dependencies: report.dependencies,
    registry: {
      at: sources.registryUrl ?? 'in-process',
      state: stateOf(follow),
      epoch: local?.epoch ?? follow?.epoch,
      revision: local?.revision ?? follow?.revision ?? 0,
      services,
      instances,
      ...(follow ? { follow } : {}),
    },
  };
  if (table) {
    status.gateway = {
      services: table.routeCount(),
      instances: table.upstreamCount(),
      staleInstances: table.staleCount(),
    };
  }
  if (bus) status.bus = { adapter: bus.adapter, status: report.dependencies.bus ?? 'unknown' };
  if (realtime) {
    const stats = realtime.hub.stats();
    status.realtime = {
      enabled: realtime.enabled,
      connections: Object.values(stats.connections).reduce((sum, n) => sum + n, 0),
      channels: stats.channels.length,
      delivered: stats.delivered,
    };
  }
  return status;
}

function stateOf(follow: RegistryFollowStatus | undefined): ProcessStatus['registry']['state'] {
  if (follow === undefined || follow.connected) return 'connected';
  if (follow.source === 'last-known-good') return 'last-known-good';
  return follow.source === 'none' ? 'connecting' : 'degraded';
}

/** A registry in this process, through its port: the snapshot a new watcher gets first. */
function localView(registry: RegistryPort): Promise<{ epoch: string; revision: number; instances: Instance[] }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      watch.close();
      reject(new Error('the registry gave no snapshot within 2 s'));
    }, 2_000);
    let watch = { close() {} };
    let done = false;
    watch = registry.watch({}, (event) => {
      if (done || event.kind !== 'snapshot') return;
      done = true;
      clearTimeout(timer);
      // Closed after this call returns: an in-process registry delivers inside watch().
      queueMicrotask(() => watch.close());
      resolve({ epoch: event.epoch, revision: event.snapshot.revision, instances: event.snapshot.instances });
    });
  });
}
