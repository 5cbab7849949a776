/**
 * Key names in the two KV buckets. Instance ids may hold `:` (not a KV key character) and
 * dots (KV token separators), so ids and kids are stored base64url-encoded, which uses only
 * `A-Z a-z 0-9 - _`.
 */

/** The instance bucket's key of the deployment's epoch (created once, with the bucket). */
export const EPOCH_KEY = 'epoch';
/** The lease bucket's key of the elected lease sweeper. */
export const LEADER_KEY = 'leader';

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const decode = (text: string) => Buffer.from(text, 'base64url').toString('utf8');

/** `i.<id>` in the instance bucket: the instance, or its tombstone once removed. */
export const instanceKey = (id: string) => `i.${encode(id)}`;
/** `h.<id>` in the lease bucket: the instance's last heartbeat. */
export const heartbeatKey = (id: string) => `h.${encode(id)}`;
/** `k.<kid>` in the lease bucket: a gateway's published assertion key. */
export const assertionKeyKey = (kid: string) => `k.${encode(kid)}`;

/** What a key of either bucket names: an instance, a heartbeat, an assertion key, or something else. */
export function parseKey(key: string): { kind: 'i' | 'h' | 'k'; name: string } | { kind: 'other' } {
  const kind = key.slice(0, 2);
  if (kind === 'i.' || kind === 'h.' || kind === 'k.') {
    return { kind: kind[0] as 'i' | 'h' | 'k', name: decode(key.slice(2)) };
  }
  return { kind: 'other' };
}

/** The lease bucket that goes with an instance bucket. */
export const leaseBucketOf = (bucket: string) => `${bucket}-leases`;
