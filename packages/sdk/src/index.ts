/**
 * `@portico/sdk`: what a service author imports to run a service behind Portico.
 *
 * @example
 * ```ts
 * import { createServiceClient, serve, ok, PorticoError } from '@portico/sdk';
 * ```
 */

export { backoffDelay } from './bus/backoff.js';
export {
  createBus,
  type PublishOptions,
  type ServiceBus,
  type SubscribeOptions,
  type TopicMap,
} from './bus/bus-client.js';
export type { BusCredentials } from './bus/bus-http-call.js';
export type {
  BackoffOptions,
  BusAdminPort,
  BusConsumer,
  BusMessage,
  BusPort,
  DeadLetter,
  DeadLetterScope,
  Delivery,
  GroupInfo,
  GroupOptions,
  PublishInput,
  PublishReceipt,
  ReadOptions,
  RetentionOptions,
  StartPosition,
  TopicInfo,
} from './bus/bus-types.js';
export { HttpBus, type HttpBusOptions } from './bus/http-bus.js';
export { ProcessedWindow } from './bus/processed-window.js';
export {
  type BusEvent,
  type BusEventKind,
  type BusHandler,
  runSubscription,
  type Subscription,
  type SubscriptionOptions,
} from './bus/subscription.js';
export { instanceBase } from './client/attempt.js';
export { RetryBudget, type RetryBudgetOptions } from './client/retry-budget.js';
export { createServiceClient } from './client/service-client.js';
export { type SseEvent, SseReader } from './client/sse-reader.js';
export type {
  BreakerOptions,
  BreakerState,
  CallOptions,
  FallbackOptions,
  HttpMethod,
  IncomingLike,
  QueryValue,
  RequestOptions,
  RetryOptions,
  ServiceClient,
  ServiceClientOptions,
  ServiceResponse,
} from './client/types.js';
export { createConfigCenter } from './config-center/config-center-client.js';
export type {
  ConfigCenter,
  ConfigCenterOptions,
  ConfigCredential,
  ConfigSnapshot,
  ConfigWatch,
} from './config-center/config-center-types.js';
export { type Envelope, type EnvelopeMeta, type ErrorEnvelope, fail, ok, type SuccessEnvelope } from './envelope.js';
export { ERROR_CODES, type ErrorBody, type ErrorCode, isErrorCode, PorticoError } from './errors.js';
export { type HealthCheck, type HealthReport, type HealthStatus, healthHttpStatus, healthReport } from './health.js';
export {
  ASSERTION_HEADER,
  ASSERTION_ISSUER,
  ASSERTION_KEYS_PATH,
  ASSERTION_TYPE,
  type AssertionClaims,
  type AuthMethod,
  type CallerKind,
} from './identity/assertion-contract.js';
export { type Caller, callerOf } from './identity/caller.js';
export { permissionCovers } from './identity/permission.js';
export { RegistryClient, type RegistryClientOptions } from './registry-client.js';
export type {
  AuthMode,
  EndpointMethod,
  EndpointSpec,
  HealthCheckSpec,
  Instance,
  InstanceRegistration,
  InstanceStatus,
  OpenApiDocument,
  RegistryChange,
  RegistrySnapshot,
  RemovalReason,
  ServiceDetail,
  ServiceSummary,
} from './registry-types.js';
export {
  createSchedulerClient,
  type SchedulerClient,
  type SchedulerClientOptions,
} from './scheduler/scheduler-client.js';
export type {
  ConcurrencyPolicy,
  RunOutcome,
  RunPage,
  Schedule,
  ScheduledMessage,
  ScheduleRun,
  ScheduleSpec,
  ScheduleTarget,
} from './scheduler/scheduler-types.js';
export { type RunningService, type ServeOptions, type ServiceLogger, serve } from './serve.js';
export { pathOf } from './url-path.js';
