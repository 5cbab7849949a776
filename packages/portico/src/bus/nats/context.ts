import type { JetStreamClient, JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { nanos } from '@nats-io/transport-node';
import type { RetentionOptions } from '@portico/sdk';
import type { BusMetrics } from '../bus-metrics.js';
import type { Names } from './naming.js';

/** The NATS adapter's settings. */
export interface NatsBusOptions {
  /** One or more `nats://host:port` URLs. */
  url: string | string[];
  /** First token of every subject and stream name. Default `portico`. */
  prefix?: string;
  /** Publishes with an id seen within this window are dropped (stream duplicate_window). Default 120000. */
  dedupWindowMs?: number;
  /** Retention of a topic's stream; absent bounds are unlimited. */
  retention?: (topic: string) => RetentionOptions;
  /** Upper bound of a group's fetched-and-not-acked messages (max_ack_pending). Default 1000. */
  maxAckPending?: number;
  /** How long a publish or an ack waits for the server's answer. Default 5000. */
  requestTimeoutMs?: number;
  user?: string;
  pass?: string;
  token?: string;
  /** Connection name the server shows. Default `portico`. */
  name?: string;
  /** Counts deliveries by outcome per topic and group (docs/bus.md, "Metrics"). */
  metrics?: BusMetrics;
}

/** What the adapter's parts share. */
export interface NatsContext {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: Names;
  options: Required<Pick<NatsBusOptions, 'dedupWindowMs' | 'maxAckPending' | 'requestTimeoutMs'>> & NatsBusOptions;
  /** Creates (or updates the limits of) the stream of `topic`, once per process. */
  ensureTopic(topic: string): Promise<string>;
}

/** The stream config of one topic: its own limits, file storage, Portico's dedup window. */
export function topicStreamConfig(
  context: Pick<NatsContext, 'names' | 'options'>,
  topic: string,
): Partial<StreamConfig> {
  const retention = context.options.retention?.(topic) ?? {};
  return {
    name: context.names.stream(topic),
    subjects: [context.names.subject(topic), context.names.keyedSubject(topic, '*')],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: retention.maxAgeMs ? nanos(retention.maxAgeMs) : 0,
    max_msgs: retention.maxMessages ?? -1,
    max_bytes: retention.maxBytes ?? -1,
    duplicate_window: nanos(context.options.dedupWindowMs),
  };
}

/** Adds a stream, or updates it when it exists with other settings (e.g. new retention). */
export async function upsertStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<void> {
  try {
    await jsm.streams.add(config);
  } catch (error) {
    // 10058: the name is in use with another config; the limits may change, the name stays.
    if (!(error instanceof JetStreamApiError) || error.code !== 10058) throw error;
    await jsm.streams.update(config.name, config);
  }
}
