import { createHash } from 'node:crypto';
import type { Instance } from '@portico/sdk';
import type { RegistryPort, WatchEvent, WatchSubscription } from '../registry/registry-port.js';
import { type MergedInfo, mergeDocuments, type ServiceDocument } from './merge-documents.js';

/** The merged document, serialised once per change. */
export interface MergedDocument {
  document: Record<string, unknown>;
  json: string;
  /** A strong ETag of `json`. */
  etag: string;
}

/**
 * Follows the registry's watch and keeps the merged OpenAPI document of every service that
 * registered one. A change only marks the document stale; the next read merges again and keeps
 * the result, so a burst of registrations costs one merge, and a read between changes costs
 * nothing. Nothing here touches the store or the request path of the proxy.
 *
 * @example
 * ```ts
 * const aggregator = new OpenApiAggregator(registry, { title: 'Portico', version: '1.0.0' });
 * aggregator.current().json; // the merged document
 * aggregator.close();
 * ```
 */
export class OpenApiAggregator {
  /** Instances that carry a document, by id: only those matter here. */
  private readonly documented = new Map<string, Instance>();
  private cached: MergedDocument | undefined;
  private readonly subscription: WatchSubscription;

  constructor(
    registry: RegistryPort,
    private readonly info: MergedInfo,
  ) {
    this.subscription = registry.watch({}, (event) => this.apply(event));
  }

  /** The merged document as of the last change seen. */
  current(): MergedDocument {
    if (this.cached) return this.cached;
    const document = mergeDocuments(this.latestPerService(), this.info);
    const json = JSON.stringify(document);
    this.cached = { document, json, etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"` };
    return this.cached;
  }

  close(): void {
    this.subscription.close();
  }

  private apply(event: WatchEvent): void {
    if (event.kind === 'snapshot') {
      this.documented.clear();
      for (const instance of event.snapshot.instances) this.keep(instance);
      this.cached = undefined;
      return;
    }
    const { change } = event;
    const had = this.documented.delete(change.instance.id);
    if (change.type !== 'removed') this.keep(change.instance);
    if (had || change.instance.openapi !== undefined) this.cached = undefined;
  }

  private keep(instance: Instance): void {
    if (instance.openapi !== undefined) this.documented.set(instance.id, instance);
  }

  /** Per service, the document of its most recently registered instance: a rolling upgrade shows the new one. */
  private latestPerService(): ServiceDocument[] {
    const latest = new Map<string, Instance>();
    for (const instance of this.documented.values()) {
      const seen = latest.get(instance.service);
      if (!seen || instance.revision > seen.revision) latest.set(instance.service, instance);
    }
    return [...latest.values()].map((instance) => ({
      service: instance.service,
      basePath: instance.basePath,
      version: instance.version,
      document: instance.openapi as NonNullable<Instance['openapi']>,
    }));
  }
}
