import { ok, PorticoError } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { installStrictJson } from '../../identity/http/body-parsers.js';
import { actorOf, principalOf, requireCredential } from '../../identity/http/principal.js';
import type { Identity } from '../../identity/identity.js';
import type { Database } from '../../store/database.js';
import { mayAccess, requireAccess, requireTenantReach } from '../config-access.js';
import type { ConfigChange, ConfigEntry, ConfigStorePort, ConfigWrite } from '../config-store-port.js';
import type { ConfigWatchHub } from '../config-watch-hub.js';
import { EntryParams, TenantParams, WriteBody } from './config-schemas.js';
import { registerConfigWatchRoute } from './config-watch-route.js';

/** What the config center's routes need. */
export interface ConfigRoutesOptions {
  identity: Identity;
  configs: ConfigStorePort;
  hub: ConfigWatchHub;
  /** Largest entry, as JSON (`configCenter.maxEntryBytes`). */
  maxEntryBytes: number;
}

type EntryRequest = FastifyRequest<{ Params: Static<typeof EntryParams> }>;

/**
 * The config center's API on the admin port, under `/v1/config` (docs/config-center.md): read,
 * replace, merge-patch and delete `config/{tenant}/{service}`, each write a new revision
 * (`ETag: "{revision}"`; `If-Match` makes it a compare-and-set, 412 when it lost), audited like
 * identity's writes, and a watch stream of the changes. Any credential (bearer token or
 * `x-api-key`); what it may touch is decided per entry (`config-access.ts`).
 *
 * @example
 * ```ts
 * await app.register(configRoutes, { identity, configs, hub, maxEntryBytes: 65536 });
 * ```
 */
export async function configRoutes(app: FastifyInstance, options: ConfigRoutesOptions): Promise<void> {
  const { identity, configs, hub } = options;
  installStrictJson(app);
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, tags: ['config'], security: [{ bearer: [] }] };
  });
  app.addHook('onRequest', requireCredential(identity));

  app.get<{ Params: Static<typeof TenantParams> }>(
    '/v1/config/:tenant',
    { schema: { summary: "A tenant's config entries the caller may read", params: TenantParams } },
    async (request) => {
      const principal = principalOf(request);
      requireTenantReach(principal, request.params.tenant);
      const tenant = await identity.tenants.require(request.params.tenant);
      const entries = await configs.list(tenant.name);
      return ok(
        entries.filter((entry) => mayAccess(principal, tenant, entry.service, 'read')),
        request.id,
      );
    },
  );

  app.get<{ Params: Static<typeof EntryParams> }>(
    '/v1/config/:tenant/:service',
    { schema: { summary: 'Read a config entry', params: EntryParams } },
    async (request, reply) => {
      const { tenant, service } = await authorize(request, 'read');
      const entry = await configs.get(tenant, service);
      if (!entry)
        throw new PorticoError('NOT_FOUND', `config ${tenant}/${service} does not exist`, { tenant, service });
      reply.header('etag', `"${entry.revision}"`);
      return ok(entry, request.id);
    },
  );

  const write = (kind: 'put' | 'patch') => async (request: EntryRequest, reply: FastifyReply) => {
    const { tenant, service } = await authorize(request, 'write');
    const { values } = request.body as Static<typeof WriteBody>;
    const change: ConfigWrite = kind === 'put' ? { kind, values } : { kind, patch: values };
    return answer(
      request,
      reply,
      await commit(request, tenant, service, change, kind === 'put' ? 'config.put' : 'config.patch'),
    );
  };
  const writeSchema = (summary: string) => ({ schema: { summary, params: EntryParams, body: WriteBody } });
  app.put(
    '/v1/config/:tenant/:service',
    writeSchema('Replace a config entry (If-Match: compare-and-set)'),
    write('put'),
  );
  app.patch(
    '/v1/config/:tenant/:service',
    writeSchema('Merge-patch a config entry (If-Match: compare-and-set)'),
    write('patch'),
  );
  app.delete<{ Params: Static<typeof EntryParams> }>(
    '/v1/config/:tenant/:service',
    { schema: { summary: 'Delete a config entry (If-Match: compare-and-set)', params: EntryParams } },
    async (request, reply) => {
      const { tenant, service } = await authorize(request, 'write');
      const change = await commit(request, tenant, service, { kind: 'delete' }, 'config.delete');
      reply.header('etag', `"${change.revision}"`);
      return ok({ tenant, service, revision: change.revision, deleted: true }, request.id);
    },
  );

  registerConfigWatchRoute(app, { identity, configs, hub });

  async function authorize(request: EntryRequest, action: 'read' | 'write') {
    const principal = principalOf(request);
    requireTenantReach(principal, request.params.tenant);
    const tenant = await identity.tenants.require(request.params.tenant);
    requireAccess(principal, tenant, request.params.service, action);
    return { tenant: tenant.name, service: request.params.service };
  }

  async function commit(
    request: EntryRequest,
    tenant: string,
    service: string,
    change: ConfigWrite,
    action: string,
  ): Promise<ConfigChange> {
    const ifRevision = ifMatch(request.headers['if-match']);
    const actor = actorOf(request);
    const committed = await configs.write(tenant, service, change, {
      actor: actor.principal.username ?? actor.principal.subject,
      maxBytes: options.maxEntryBytes,
      ...(ifRevision === undefined ? {} : { ifRevision }),
      // In the write's transaction: an entry changes only with its audit record.
      alongside: (done, tx) =>
        identity.audit.record(
          actor,
          {
            action,
            tenant,
            target: `${tenant}/${service}`,
            changes: {
              revision: done.revision,
              ...(change.kind === 'delete' ? {} : { values: change.kind === 'put' ? change.values : change.patch }),
            },
          },
          // The store adapter's transaction; the memory adapter has none, so the log writes alone.
          (tx as Kysely<Database> | undefined) ?? undefined,
        ),
    });
    hub.publish(committed);
    return committed;
  }
}

function answer(request: FastifyRequest, reply: FastifyReply, change: ConfigChange) {
  const entry: ConfigEntry = {
    tenant: change.tenant,
    service: change.service,
    revision: change.revision,
    values: change.values,
    updatedAt: change.at,
    updatedBy: change.actor,
  };
  reply.header('etag', `"${change.revision}"`);
  return ok(entry, request.id);
}

/** `If-Match: "12"` (or `12`) → 12; absent → undefined; anything else is a 400. */
function ifMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(?:"([0-9]{1,15})"|([0-9]{1,15}))\s*$/.exec(header);
  if (!match) {
    throw new PorticoError(
      'VALIDATION_ERROR',
      'If-Match must be the entry\'s ETag, e.g. "12" ("0": must not exist yet)',
      [{ field: 'headers.if-match', message: 'must be "{revision}"' }],
    );
  }
  return Number(match[1] ?? match[2]);
}
