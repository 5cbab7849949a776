import { type InstanceRegistration, ok, PorticoError } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { validateOpenApi } from '../openapi/validate-document.js';
import { registerAssertionKeyRoutes } from './assertion-key-routes.js';
import { RegistrationAuth } from './registration-auth.js';
import type { RegistryPort } from './registry-port.js';
import { InstanceId, registrationSchema, ServiceName } from './schemas.js';
import { registerWatchRoute } from './watch-route.js';

/** What the registry routes need. */
export interface RegistryRoutesOptions {
  registry: RegistryPort;
  maxTtlSeconds: number;
  /** The platform's `clusterSecret`: gateways publish assertion keys with it; empty turns that off. */
  assertionKeySecret?: string;
  /** Who may register, heartbeat and deregister; absent = anyone (embedded tests of the routes). */
  auth?: RegistrationAuth;
  /** Largest OpenAPI document an instance may register (`openapi.maxDocumentBytes`); default 256 KiB. */
  maxOpenApiBytes?: number;
}

const IdParams = Type.Object({ id: InstanceId });
const NameParams = Type.Object({ name: ServiceName });

/**
 * The registry's HTTP API on the admin port, under `/v1/registry`. Every answer is the
 * envelope; `docs/registry.md` describes each route.
 */
export async function registryRoutes(app: FastifyInstance, options: RegistryRoutesOptions): Promise<void> {
  const { registry } = options;
  const auth = options.auth ?? new RegistrationAuth({ mode: 'loopback-open', keys: {}, adminHost: '127.0.0.1' });
  // The instance's own service decides, not the caller's word: a key of A cannot renew or remove B's.
  const writable = async (id: string, authorization: string | undefined) => {
    const services = auth.authenticate(authorization);
    const instance = found(await registry.instance(id), id);
    RegistrationAuth.allow(services, instance.service);
  };
  const Registration = registrationSchema(options.maxTtlSeconds);
  const maxOpenApiBytes = options.maxOpenApiBytes ?? 256 * 1024;

  app.post<{ Body: Static<typeof Registration> }>(
    '/v1/registry/instances',
    { schema: { body: Registration } },
    async (request, reply) => {
      const services = auth.authenticate(request.headers.authorization);
      RegistrationAuth.allow(services, request.body.service);
      // Re-registering an id that another service holds would hand its traffic over.
      const existing = request.body.id === undefined ? undefined : await registry.instance(request.body.id);
      if (existing) RegistrationAuth.allow(services, existing.service);
      if (request.body.openapi !== undefined) validateOpenApi(request.body.openapi, maxOpenApiBytes);
      const { instance, created } = await registry.register(request.body as InstanceRegistration);
      reply.code(created ? 201 : 200);
      return ok(instance, request.id);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/v1/registry/instances/:id',
    { schema: { params: IdParams } },
    async (request) => ok(found(await registry.instance(request.params.id), request.params.id), request.id),
  );

  app.put<{ Params: Static<typeof IdParams> }>(
    '/v1/registry/instances/:id/heartbeat',
    { schema: { params: IdParams } },
    async (request) => {
      await writable(request.params.id, request.headers.authorization);
      return ok(found(await registry.heartbeat(request.params.id), request.params.id), request.id);
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/v1/registry/instances/:id',
    { schema: { params: IdParams } },
    async (request) => {
      await writable(request.params.id, request.headers.authorization);
      return ok(found(await registry.deregister(request.params.id), request.params.id), request.id);
    },
  );

  app.get('/v1/registry/services', async (request) => ok(await registry.services(), request.id));

  app.get<{ Params: Static<typeof NameParams> }>(
    '/v1/registry/services/:name',
    { schema: { params: NameParams } },
    async (request) => {
      const service = await registry.service(request.params.name);
      if (!service) throw new PorticoError('NOT_FOUND', `service ${request.params.name} has no instances`);
      return ok(service, request.id);
    },
  );

  registerWatchRoute(app, registry);
  registerAssertionKeyRoutes(app, registry, options.assertionKeySecret ?? '');
}

// Not encapsulated (as fastify-plugin would do): the watch's preClose hook must run on the root.
Object.assign(registryRoutes, { [Symbol.for('skip-override')]: true });

function found<T>(value: T | undefined, id: string): T {
  if (value === undefined) {
    throw new PorticoError('NOT_FOUND', `instance ${id} is not registered`, { id });
  }
  return value;
}
