import type { Instance, RegistryChange, RemovalReason } from '@portico/sdk';
import type { PublishedJwk } from '../registry-port.js';

/**
 * The value of an instance key. A removal is a tombstone written over the instance (not a KV
 * delete, which carries no value), so the bucket's history — the change log watchers resume
 * from — holds the removed instance as the `removed` event needs it.
 */
export type InstanceRecord =
  | { op: 'registered' | 'updated'; instance: Instance }
  | { op: 'removed'; reason: RemovalReason; instance: Instance };

/** The value of a heartbeat key; `expiresAt: 0` is the sweeper's fence of an expired lease. */
export interface HeartbeatRecord {
  at: number;
  expiresAt: number;
}

/** The value of an assertion key's key. */
export interface AssertionKeyRecord {
  jwk: PublishedJwk;
  expiresAt: number;
}

/** The value of the leader key: who sweeps leases, and until when unless renewed. */
export interface LeaderRecord {
  owner: string;
  until: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A record as KV bytes. */
export const encodeRecord = (record: unknown): Uint8Array => encoder.encode(JSON.stringify(record));

/** KV bytes as a record; `undefined` for bytes that are not JSON (written by something else). */
export function decodeRecord<T>(value: Uint8Array): T | undefined {
  try {
    return JSON.parse(decoder.decode(value)) as T;
  } catch {
    return undefined;
  }
}

/**
 * The change an instance key's entry stands for. The revision of a registered or updated
 * instance is its entry's: the stream sequence, which every registry process shares.
 */
export function changeOf(record: InstanceRecord, revision: number): RegistryChange {
  if (record.op === 'removed') {
    return { revision, type: 'removed', reason: record.reason, instance: record.instance };
  }
  return { revision, type: record.op, instance: { ...record.instance, revision } };
}
