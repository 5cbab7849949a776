import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import type {} from '../fastify.js';
import { type AuthMethod, type Caller, type CallerKind, callerOf, type ServeOptions } from '../index.js';

describe('caller types', () => {
  it('callerOf gives a Caller or undefined, with typed members and helpers', () => {
    expectTypeOf(callerOf).parameter(0).toEqualTypeOf<IncomingMessage>();
    expectTypeOf(callerOf).returns.toEqualTypeOf<Caller | undefined>();
    expectTypeOf<Caller['tenant']>().toEqualTypeOf<string>();
    expectTypeOf<Caller['kind']>().toEqualTypeOf<CallerKind>();
    expectTypeOf<Caller['authMethod']>().toEqualTypeOf<AuthMethod>();
    expectTypeOf<Caller['roles']>().toEqualTypeOf<readonly string[]>();
    expectTypeOf<Caller['can']>().toEqualTypeOf<(permission: string) => boolean>();
    expectTypeOf<Caller['hasRole']>().toEqualTypeOf<(role: string) => boolean>();
  });

  it('gives Fastify requests a read-only caller', () => {
    expectTypeOf<FastifyRequest['caller']>().toEqualTypeOf<Caller | undefined>();
  });

  it('lets serve() turn verification off only explicitly', () => {
    expectTypeOf<ServeOptions['verifyCallers']>().toEqualTypeOf<boolean | undefined>();
  });
});
