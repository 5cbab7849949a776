import type { Instance } from '@portico/sdk';
import type { Logger } from 'pino';
import type { DeclaredRouteSet } from '../gateway/declared-routes/declared-route-set.js';
import { type LastKnownGoodState, readLastKnownGood, writeLastKnownGood } from './last-known-good-file.js';
import type { RegistryPort, WatchEvent, WatchSubscription } from './registry-port.js';

/** Where and how a gateway keeps its last-known-good file (`registry.lastKnownGood`). */
export interface LastKnownGoodOptions {
  path: string;
  /** Changes within this time are written once. */
  debounceMs: number;
  /** How long a start waits for the registry's first event before it routes from the file. */
  waitMs: number;
}

/** What a gateway follows and where the events go. */
export interface RegistryFollowerOptions {
  registry: RegistryPort;
  /** Where each event goes: the routing table. */
  apply: (event: WatchEvent) => void;
  logger: Logger;
  /** Absent: no file is read or written (the all-in-one, whose registry is in the process). */
  lastKnownGood?: LastKnownGoodOptions;
  /** The gateway's declared routes: those added through the admin API are kept in the file too. */
  routes?: DeclaredRouteSet;
}

/** Where the routing table's content came from, as `portico status` shows it. */
export interface RegistryFollowStatus {
  /** True while the watch stream to the registry is live. */
  connected: boolean;
  /** `registry`: its last event came from the registry; `last-known-good`: from the file, not yet confirmed. */
  source: 'none' | 'registry' | 'last-known-good';
  epoch: string | undefined;
  revision: number;
  /** Events received from the registry since start: a resume after an outage adds changes, not a snapshot. */
  snapshots: number;
  changes: number;
  lastKnownGood?: {
    path: string;
    /** The revision and write time of the file this process started from, if it did. */
    loaded?: { revision: number; savedAt: string };
    /** Why the file was not used at start, if it was refused. */
    refused?: string;
    lastWriteAt?: string;
    lastWriteError?: string;
  };
}

/**
 * Follows the registry's watch for a gateway and, with `lastKnownGood`, keeps what it learned in
 * a checksummed file in `dataDir` (written debounced and atomically). A gateway that starts
 * while every registry is down routes from that file after `waitMs`, is ready (its readiness
 * detail says it is degraded), and resumes the watch from the file's revision, so a registry
 * that still holds that revision sends only the changes since (not a snapshot).
 *
 * @example
 * ```ts
 * const follower = new RegistryFollower({ registry, apply: (e) => table.apply(e), logger,
 *   lastKnownGood: { path: '.portico/last-known-good.json', debounceMs: 500, waitMs: 250 }, routes });
 * follower.start();
 * await follower.close();
 * ```
 */
export class RegistryFollower {
  private readonly instances = new Map<string, Instance>();
  private epoch: string | undefined;
  private revision = 0;
  private source: RegistryFollowStatus['source'] = 'none';
  private snapshots = 0;
  private changes = 0;
  private watch: WatchSubscription | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private restoringRoutes = false;
  private closed = false;
  private readonly file: NonNullable<RegistryFollowStatus['lastKnownGood']> | undefined;

  constructor(private readonly options: RegistryFollowerOptions) {
    this.file = options.lastKnownGood ? { path: options.lastKnownGood.path } : undefined;
  }

  /** Starts the watch; with a file, restores its routes and arms the fall-back to it. */
  start(): void {
    this.watch = this.options.registry.watch({}, (event) => this.fromRegistry(event));
    const lkg = this.options.lastKnownGood;
    if (!lkg) return;
    this.options.routes?.onChange(() => {
      if (!this.restoringRoutes) this.scheduleSave();
    });
    const reading = readLastKnownGood(lkg.path);
    reading.then((read) => this.restoreRoutes(read.kind === 'loaded' ? read.state : undefined));
    this.waitTimer = setTimeout(() => {
      if (this.source !== 'none' || this.closed) return;
      reading.then((read) => {
        if (this.source !== 'none' || this.closed) return;
        if (read.kind === 'refused') {
          if (this.file) this.file.refused = read.reason;
          this.options.logger.error(
            { file: lkg.path, reason: read.reason },
            'last-known-good file refused; waiting for the registry with no routes',
          );
        } else if (read.kind === 'absent') {
          this.options.logger.warn({ file: lkg.path }, 'registry unreachable and no last-known-good file yet');
        } else {
          this.routeFromFile(read.state);
        }
      });
    }, lkg.waitMs);
  }

  status(): RegistryFollowStatus {
    return {
      connected: this.connected(),
      source: this.source,
      epoch: this.epoch,
      revision: this.revision,
      snapshots: this.snapshots,
      changes: this.changes,
      ...(this.file ? { lastKnownGood: { ...this.file } } : {}),
    };
  }

  /** A line for `/readyz` while the gateway routes with what it last knew; undefined when all is well. */
  degradedNote(): string | undefined {
    if (this.connected()) return undefined;
    const loaded = this.file?.loaded;
    if (this.source === 'last-known-good' && loaded) {
      return `degraded: registry unreachable; routing from the last-known-good file (revision ${loaded.revision}, saved ${loaded.savedAt})`;
    }
    if (this.source === 'registry') return `degraded: registry unreachable; routing with revision ${this.revision}`;
    return undefined;
  }

  /** Stops the watch and writes what is pending. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.waitTimer);
    this.watch?.close();
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      this.save();
    }
    await this.saving;
  }

  private connected(): boolean {
    // Only the network adapter can be away; a registry in this process is always there.
    const registry = this.options.registry as RegistryPort & { connected?: () => boolean };
    return registry.connected?.() ?? true;
  }

  private fromRegistry(event: WatchEvent): void {
    if (event.kind === 'snapshot') {
      this.snapshots++;
      this.instances.clear();
      for (const instance of event.snapshot.instances) this.instances.set(instance.id, instance);
      this.revision = event.snapshot.revision;
    } else {
      this.changes++;
      if (event.change.type === 'removed') this.instances.delete(event.change.instance.id);
      else this.instances.set(event.change.instance.id, event.change.instance);
      this.revision = event.change.revision;
    }
    if (this.source === 'last-known-good') {
      this.options.logger.info(
        { how: event.kind === 'snapshot' ? 'snapshot' : 'resumed', revision: this.revision },
        'registry back: catching up from the last-known-good routes',
      );
    }
    this.epoch = event.epoch;
    this.source = 'registry';
    this.options.apply(event);
    this.scheduleSave();
  }

  private routeFromFile(state: LastKnownGoodState): void {
    for (const instance of state.instances) this.instances.set(instance.id, instance);
    this.epoch = state.epoch;
    this.revision = state.revision;
    this.source = 'last-known-good';
    if (this.file) this.file.loaded = { revision: state.revision, savedAt: state.savedAt };
    this.options.apply({
      kind: 'snapshot',
      epoch: state.epoch,
      snapshot: { revision: state.revision, instances: state.instances },
    });
    // From the file's revision on: a registry that still holds it sends only what changed since.
    this.watch?.close();
    this.watch = this.options.registry.watch({ epoch: state.epoch, since: state.revision }, (event) =>
      this.fromRegistry(event),
    );
    this.options.logger.warn(
      { file: this.file?.path, revision: state.revision, instances: state.instances.length, savedAt: state.savedAt },
      'registry unreachable: routing from the last-known-good file',
    );
  }

  private restoreRoutes(state: LastKnownGoodState | undefined): void {
    const routes = this.options.routes;
    if (!routes || !state) return;
    this.restoringRoutes = true;
    try {
      for (const spec of state.routes) {
        if (routes.get(spec.name)) continue;
        try {
          routes.put(spec, 'api');
        } catch (error) {
          this.options.logger.warn({ route: spec.name, err: error }, 'last-known-good route not restored');
        }
      }
    } finally {
      this.restoringRoutes = false;
    }
  }

  private scheduleSave(): void {
    const lkg = this.options.lastKnownGood;
    if (!lkg || this.saveTimer || this.closed || this.epoch === undefined) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, lkg.debounceMs);
    this.saveTimer.unref();
  }

  private save(): void {
    const lkg = this.options.lastKnownGood;
    if (!lkg || this.epoch === undefined || !this.file) return;
    const file = this.file;
    const state: LastKnownGoodState = {
      savedAt: new Date().toISOString(),
      epoch: this.epoch,
      revision: this.revision,
      instances: [...this.instances.values()],
      routes: (this.options.routes?.list() ?? []).filter((route) => route.source === 'api').map((route) => route.spec),
    };
    // One write at a time, in order: the last one on disk is the newest state.
    this.saving = this.saving.then(() =>
      writeLastKnownGood(lkg.path, state).then(
        () => {
          file.lastWriteAt = state.savedAt;
          delete file.lastWriteError;
        },
        (error: unknown) => {
          file.lastWriteError = (error as Error).message;
          this.options.logger.warn({ err: error, file: lkg.path }, 'last-known-good file not written');
        },
      ),
    );
  }
}
