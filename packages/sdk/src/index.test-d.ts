import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AuthMode,
  type BusPort,
  createBus,
  createSchedulerClient,
  type Envelope,
  type ErrorBody,
  type ErrorCode,
  type ErrorEnvelope,
  fail,
  type HealthCheck,
  type HealthReport,
  type HealthStatus,
  HttpBus,
  type Instance,
  type InstanceRegistration,
  ok,
  PorticoError,
  type PublishReceipt,
  type RegistryChange,
  type RegistryClient,
  type RemovalReason,
  type RunningService,
  type ScheduleRun,
  type ScheduleSpec,
  type ServeOptions,
  type Subscription,
  type SuccessEnvelope,
  serve,
} from './index.js';

describe('serve', () => {
  it('requires a service name and a handler', () => {
    expectTypeOf<ServeOptions>().toHaveProperty('service').toEqualTypeOf<string>();
    expectTypeOf<{ service: string }>().not.toExtend<ServeOptions>();
    expectTypeOf<{ handler: ServeOptions['handler'] }>().not.toExtend<ServeOptions>();
    expectTypeOf<{ service: string; handler: () => void }>().toExtend<ServeOptions>();
    // @ts-expect-error a handler is required
    void serve({ service: 'orders' });
    // @ts-expect-error a service name is required
    void serve({ handler: () => {} });
  });

  it('accepts a sync or an async handler of node:http request and response', () => {
    expectTypeOf<ServeOptions['handler']>().parameters.toEqualTypeOf<[IncomingMessage, ServerResponse]>();
    const sync = (_req: IncomingMessage, res: ServerResponse): void => {
      res.end('ok');
    };
    const async = async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
      res.end('ok');
    };
    expectTypeOf(sync).toExtend<ServeOptions['handler']>();
    expectTypeOf(async).toExtend<ServeOptions['handler']>();
    expectTypeOf(serve).parameter(0).toEqualTypeOf<ServeOptions>();
    expectTypeOf(serve).returns.toEqualTypeOf<Promise<RunningService>>();
  });

  it('types the options a service author sets', () => {
    expectTypeOf<ServeOptions['auth']>().toEqualTypeOf<AuthMode | undefined>();
    expectTypeOf<ServeOptions['healthChecks']>().toEqualTypeOf<Record<string, HealthCheck> | undefined>();
    expectTypeOf<ServeOptions['handleSignals']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<ServeOptions['heartbeatSeconds']>().toEqualTypeOf<number | undefined>();
    // @ts-expect-error the auth mode is one of the known modes
    const badAuth: ServeOptions = { service: 'x', handler: () => {}, auth: 'basic' };
    void badAuth;
  });

  it('gives a running service with its server, address, id, registration promise and close', () => {
    expectTypeOf<RunningService>().toHaveProperty('server').toEqualTypeOf<Server>();
    expectTypeOf<RunningService>().toHaveProperty('port').toEqualTypeOf<number>();
    expectTypeOf<RunningService>().toHaveProperty('url').toEqualTypeOf<string>();
    expectTypeOf<RunningService>().toHaveProperty('instanceId').toEqualTypeOf<string>();
    expectTypeOf<RunningService>().toHaveProperty('registered').toEqualTypeOf<Promise<void>>();
    expectTypeOf<RunningService['close']>().toEqualTypeOf<() => Promise<void>>();
  });

  it('makes the running service read-only', () => {
    const running = {} as RunningService;
    // @ts-expect-error the instance id cannot be reassigned
    running.instanceId = 'other';
  });
});

describe('registry types', () => {
  it('requires service, host and port to register, the rest being optional', () => {
    expectTypeOf<{ service: string; host: string; port: number }>().toExtend<InstanceRegistration>();
    expectTypeOf<{ service: string; host: string }>().not.toExtend<InstanceRegistration>();
    expectTypeOf<{ service: string; port: number }>().not.toExtend<InstanceRegistration>();
    expectTypeOf<{ host: string; port: number }>().not.toExtend<InstanceRegistration>();
    expectTypeOf<InstanceRegistration['port']>().toEqualTypeOf<number>();
    expectTypeOf<InstanceRegistration['id']>().toEqualTypeOf<string | undefined>();
    // @ts-expect-error the port is a number, not a string
    const wrongPort: InstanceRegistration = { service: 's', host: 'h', port: '80' };
    void wrongPort;
  });

  it('names the four auth modes', () => {
    expectTypeOf<AuthMode>().toEqualTypeOf<'public' | 'jwt' | 'api-key' | 'any'>();
  });

  it('discriminates registry changes by type', () => {
    expectTypeOf<RegistryChange['type']>().toEqualTypeOf<'registered' | 'updated' | 'removed'>();
    const describeChange = (change: RegistryChange): string => {
      if (change.type === 'removed') {
        expectTypeOf(change.reason).toEqualTypeOf<RemovalReason>();
        return change.reason;
      }
      expectTypeOf(change.type).toEqualTypeOf<'registered' | 'updated'>();
      // @ts-expect-error only a removal carries a reason
      void change.reason;
      return change.instance.id;
    };
    expectTypeOf(describeChange).toBeFunction();
    expectTypeOf<RegistryChange['instance']>().toEqualTypeOf<Instance>();
    expectTypeOf<RemovalReason>().toEqualTypeOf<'deregistered' | 'expired'>();
  });

  it('types the registry client with the registry contract', () => {
    expectTypeOf<RegistryClient['register']>().parameter(0).toEqualTypeOf<InstanceRegistration>();
    expectTypeOf<RegistryClient['register']>().returns.toEqualTypeOf<Promise<Instance>>();
    expectTypeOf<RegistryClient['heartbeat']>().returns.toEqualTypeOf<Promise<Instance>>();
    expectTypeOf<RegistryClient['deregister']>().returns.toEqualTypeOf<Promise<void>>();
  });
});

describe('errors and envelopes', () => {
  it('types a PorticoError code as an ErrorCode', () => {
    expectTypeOf<PorticoError['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<'CONFLICT'>().toExtend<ErrorCode>();
    expectTypeOf<'TEAPOT'>().not.toExtend<ErrorCode>();
    expectTypeOf(new PorticoError('CONFLICT', 'x')).toExtend<Error>();
    expectTypeOf(PorticoError.fromEnvelope).returns.toEqualTypeOf<PorticoError>();
    expectTypeOf<PorticoError['toJSON']>().returns.toEqualTypeOf<ErrorBody>();
    // @ts-expect-error only the registered codes are accepted
    void new PorticoError('TEAPOT', 'short and stout');
  });

  it('infers the data type of ok()', () => {
    const envelope = ok({ id: 1, tags: ['a'] }, 'req');
    expectTypeOf(envelope).toEqualTypeOf<SuccessEnvelope<{ id: number; tags: string[] }>>();
    expectTypeOf(envelope.data.id).toEqualTypeOf<number>();
    expectTypeOf(envelope.success).toEqualTypeOf<true>();
    expectTypeOf(ok('text', 'req').data).toEqualTypeOf<string>();
    // @ts-expect-error the data has no such member
    void envelope.data.name;
  });

  it('returns an ErrorEnvelope from fail()', () => {
    expectTypeOf(fail(new PorticoError('NOT_FOUND', 'x'), 'req')).toEqualTypeOf<ErrorEnvelope>();
    expectTypeOf(fail({ code: 'CONFLICT', message: 'x' }, 'req')).toEqualTypeOf<ErrorEnvelope>();
    expectTypeOf<ErrorEnvelope['success']>().toEqualTypeOf<false>();
    expectTypeOf<ErrorEnvelope['error']['code']>().toEqualTypeOf<ErrorCode>();
    // @ts-expect-error an error body needs a known code
    void fail({ code: 'OOPS', message: 'x' }, 'req');
  });

  it('narrows an envelope by success', () => {
    const read = (envelope: Envelope<number[]>): number => {
      if (envelope.success) {
        expectTypeOf(envelope.data).toEqualTypeOf<number[]>();
        return envelope.data.length;
      }
      expectTypeOf(envelope.error).toEqualTypeOf<ErrorBody>();
      return -1;
    };
    expectTypeOf(read).returns.toEqualTypeOf<number>();
  });
});

describe('health', () => {
  it('accepts checks that answer a status or a boolean, sync or async', () => {
    expectTypeOf(() => true).toExtend<HealthCheck>();
    expectTypeOf(async () => false).toExtend<HealthCheck>();
    expectTypeOf((): HealthStatus => 'degraded').toExtend<HealthCheck>();
    expectTypeOf(async (): Promise<HealthStatus> => 'healthy').toExtend<HealthCheck>();
    expectTypeOf(() => 'fine').not.toExtend<HealthCheck>();
    expectTypeOf(() => 1).not.toExtend<HealthCheck>();
  });

  it('describes the standard health report', () => {
    expectTypeOf<HealthReport>().toEqualTypeOf<{
      status: HealthStatus;
      timestamp: string;
      uptime_seconds: number;
      version: string;
      dependencies: Record<string, HealthStatus>;
    }>();
  });
});

describe('bus', () => {
  type Topics = { 'order.verified': { orderId: string; amount: number }; 'payout.done': { payoutId: string } };
  const bus = createBus<Topics>({} as BusPort);

  it('types publish payloads by topic', () => {
    expectTypeOf(bus.publish('order.verified', { orderId: 'o1', amount: 3 })).toEqualTypeOf<Promise<PublishReceipt>>();
    // @ts-expect-error the payload of another topic
    bus.publish('order.verified', { payoutId: 'p1' });
    // @ts-expect-error an undeclared topic
    bus.publish('order.unknown', {});
  });

  it('types subscribe handlers by topic and requires a group', () => {
    expectTypeOf(
      bus.subscribe(
        'payout.done',
        (m) => {
          expectTypeOf(m.data).toEqualTypeOf<{ payoutId: string }>();
          expectTypeOf(m.tenantId).toEqualTypeOf<string | null>();
        },
        { group: 'report', concurrency: 4, maxDeliver: 5, backoff: { initialMs: 100 }, ordered: true },
      ),
    ).toEqualTypeOf<Promise<Subscription>>();
    // @ts-expect-error no group
    bus.subscribe('payout.done', () => {}, { concurrency: 1 });
  });
});

describe('HttpBus', () => {
  it('is a BusPort that createBus and serve take unchanged, with an API key or a token (function)', () => {
    expectTypeOf(new HttpBus({ url: 'http://127.0.0.1:9080', apiKey: 'k' })).toMatchTypeOf<BusPort>();
    const port = new HttpBus({ url: 'http://127.0.0.1:9080', token: async () => 'jwt' });
    expectTypeOf(createBus<{ 'a.b': { n: number } }>(port).drain).toEqualTypeOf<
      (timeoutMs: number) => Promise<{ finished: number; nacked: number }>
    >();
    // @ts-expect-error the URL of the admin port is required
    new HttpBus({ apiKey: 'k' });
  });
});

describe('scheduler client', () => {
  it('takes a typed spec and answers typed runs', () => {
    const scheduler = createSchedulerClient({ tenant: 'acme', credential: { apiKey: 'k' } });
    expectTypeOf(scheduler.trigger).returns.toEqualTypeOf<Promise<ScheduleRun>>();
    const spec: ScheduleSpec = { cron: '0 3 * * *', target: { kind: 'bus', type: 'market.archive' } };
    expectTypeOf(scheduler.put('archive', spec)).resolves.toHaveProperty('nextRunAt').toEqualTypeOf<string | null>();
    // @ts-expect-error an HTTP target names its service and path
    scheduler.put('archive', { cron: '0 3 * * *', target: { kind: 'http', path: '/run' } });
    // @ts-expect-error the tenant is required
    createSchedulerClient({ credential: { apiKey: 'k' } });
  });
});
