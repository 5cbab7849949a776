import { ASSERTION_KEYS_PATH, ok, PorticoError } from '@portico/sdk';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { peerGuard } from '../http/shared-secret.js';
import type { AssertionKeyPort } from './registry-port.js';

const Kid = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' });
const KidParams = Type.Object({ kid: Kid });
const PublishBody = Type.Object(
  {
    jwk: Type.Object(
      {
        kty: Type.Literal('OKP'),
        crv: Type.Literal('Ed25519'),
        // 32 bytes, base64url: a public key and nothing else (a private JWK's `d` is refused below).
        x: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
        kid: Kid,
        alg: Type.Optional(Type.Literal('EdDSA')),
        use: Type.Optional(Type.Literal('sig')),
      },
      { additionalProperties: false },
    ),
    ttlSeconds: Type.Integer({ minimum: 1, maximum: 3600 }),
  },
  { additionalProperties: false },
);

/**
 * The gateways' assertion keys on the registry: `GET /v1/registry/assertion-keys` is a plain
 * JWKS (`{ keys }`, not the envelope, so any JOSE library reads it) open to every service;
 * `PUT /v1/registry/assertion-keys/{kid}` publishes or renews a key, and only with the shared
 * `clusterSecret`: whoever can publish a key can speak for every caller.
 */
export function registerAssertionKeyRoutes(app: FastifyInstance, keys: AssertionKeyPort, secret: string): void {
  app.get(ASSERTION_KEYS_PATH, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { keys: await keys.assertionKeys() };
  });

  const requirePeer = peerGuard(secret, 'publishing assertion keys');
  app.put<{ Params: Static<typeof KidParams>; Body: Static<typeof PublishBody> }>(
    `${ASSERTION_KEYS_PATH}/:kid`,
    { schema: { params: KidParams, body: PublishBody } },
    async (request) => {
      requirePeer(request.headers.authorization);
      const { jwk, ttlSeconds } = request.body;
      if (jwk.kid !== request.params.kid) {
        throw new PorticoError('VALIDATION_ERROR', 'the key id in the path is not the key id of the key');
      }
      try {
        await keys.publishAssertionKey(jwk, ttlSeconds);
      } catch (error) {
        if (error instanceof RangeError) throw new PorticoError('CONFLICT', error.message);
        throw error;
      }
      return ok({ kid: jwk.kid, ttlSeconds }, request.id);
    },
  );
}
