import type { ServerResponse } from 'node:http';
import { PorticoError } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { openEventStream } from '../../http/event-stream.js';
import { principalOf } from '../../identity/http/principal.js';
import type { Identity } from '../../identity/identity.js';
import { mayAccess, requireTenantReach } from '../config-access.js';
import type { ConfigChange, ConfigStorePort } from '../config-store-port.js';
import type { ConfigWatchHub } from '../config-watch-hub.js';
import { TenantParams, WatchQuery } from './config-schemas.js';

/** Comment lines keep idle proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/**
 * A stream is authorized when it opens; it ends after this long so the client reconnects (and
 * resumes) with a credential checked again: a revoked key stops receiving within this bound.
 */
const MAX_STREAM_MS = 10 * 60_000;
const PAGE = 500;
/** A watcher this far behind is cut off; it reconnects with its last id and catches up. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * `GET /v1/config/{tenant}/_watch`: Server-Sent Events of a tenant's config changes that the
 * caller may read (`?service=` narrows to one). Each `change` event's `id` is its revision.
 * With `?since=` or `Last-Event-ID`, the stream first replays every change after it (from the
 * store's change log, so it survives restarts); without, it starts with a `snapshot` of the
 * current entries. Then `ready` ({ revision }), then changes live.
 */
export function registerConfigWatchRoute(
  app: FastifyInstance,
  { identity, configs, hub }: { identity: Identity; configs: ConfigStorePort; hub: ConfigWatchHub },
): void {
  const open = new Set<ServerResponse>();
  app.addHook('onClose', async () => {
    for (const res of open) res.end();
  });

  app.get<{ Params: Static<typeof TenantParams>; Querystring: Static<typeof WatchQuery> }>(
    '/v1/config/:tenant/_watch',
    { schema: { summary: "Watch a tenant's config changes (SSE)", params: TenantParams, querystring: WatchQuery } },
    async (request, reply) => {
      const principal = principalOf(request);
      requireTenantReach(principal, request.params.tenant);
      const tenant = await identity.tenants.require(request.params.tenant);
      const only = request.query.service;
      if (only !== undefined && !mayAccess(principal, tenant, only, 'read')) {
        throw new PorticoError('AUTHORIZATION_ERROR', `you may not read config ${tenant.name}/${only}`);
      }
      const asked = resumePoint(request.query.since, request.headers['last-event-id']);
      // A point the log no longer covers (or never did) gets a fresh snapshot marked `resync`:
      // the client replaces its state instead of silently missing changes.
      const resync = asked !== undefined && !(await configs.canResume(asked));
      const since = resync ? undefined : asked;
      const visible = (service: string) =>
        (only === undefined || service === only) && mayAccess(principal, tenant, service, 'read');

      const res = openEventStream(request, reply);
      open.add(res);
      let sent = since ?? 0;
      let live = false;
      const pending: ConfigChange[] = [];
      const send = (change: ConfigChange) => {
        if (change.revision <= sent) return;
        sent = change.revision;
        if (visible(change.service))
          res.write(`event: change\nid: ${change.revision}\ndata: ${JSON.stringify(change)}\n\n`);
        if (res.writableLength > MAX_BUFFERED_BYTES) res.end();
      };
      // Subscribed before reading the backlog: a write that commits meanwhile is held, not lost.
      const unsubscribe = hub.subscribe((change) => {
        if (change.tenant !== tenant.name) return;
        if (live) send(change);
        else pending.push(change);
      });
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      const deadline = setTimeout(() => res.end(), MAX_STREAM_MS);
      res.on('close', () => {
        open.delete(res);
        unsubscribe();
        clearInterval(keepalive);
        clearTimeout(deadline);
      });
      try {
        if (since === undefined) {
          const revision = await configs.latestRevision();
          const entries = (await configs.list(tenant.name)).filter((entry) => visible(entry.service));
          const snapshot = { revision, entries, ...(resync ? { resync: true, since: asked } : {}) };
          res.write(`event: snapshot\nid: ${revision}\ndata: ${JSON.stringify(snapshot)}\n\n`);
          sent = revision;
        } else {
          for (let page = await configs.changesAfter(tenant.name, sent, PAGE); page.length > 0; ) {
            for (const change of page) send(change);
            if (res.destroyed || page.length < PAGE) break;
            page = await configs.changesAfter(tenant.name, sent, PAGE);
          }
        }
        for (const change of pending.splice(0)) send(change);
        live = true;
        // The revision the stream has caught up to, even when none of the changes was visible.
        const revision = Math.max(sent, await configs.latestRevision());
        res.write(`event: ready\ndata: ${JSON.stringify({ revision: sent, latest: revision })}\n\n`);
      } catch (error) {
        request.log.warn({ err: error }, 'config watch failed');
        res.end();
      }
    },
  );
}

function resumePoint(since: string | undefined, lastEventId: string | string[] | undefined): number | undefined {
  if (since !== undefined) return Number(since);
  if (typeof lastEventId !== 'string' || lastEventId === '') return undefined;
  if (!/^[0-9]{1,15}$/.test(lastEventId)) {
    throw new PorticoError('VALIDATION_ERROR', 'Last-Event-ID must be a revision', [
      { field: 'headers.last-event-id', message: 'must be a revision' },
    ]);
  }
  return Number(lastEventId);
}
