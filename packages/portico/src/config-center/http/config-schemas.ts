import { Type } from '@sinclair/typebox';
import { ServiceName, TenantName } from '../../identity/http/schemas.js';

export const TenantParams = Type.Object({ tenant: TenantName });
export const EntryParams = Type.Object({ tenant: TenantName, service: ServiceName });

/**
 * Values of an entry: a JSON object with bounded keys. The bounds are in `propertyNames`: a
 * TypeBox record's key schema becomes a `patternProperties` pattern and loses its lengths, so an
 * empty or 10 kB key passed.
 */
const Values = Type.Record(Type.String(), Type.Unknown(), {
  maxProperties: 1024,
  propertyNames: { minLength: 1, maxLength: 128 },
});

/** `PUT`: the entry's new values. `PATCH`: a JSON merge patch of them (`null` removes a key). */
export const WriteBody = Type.Object({ values: Values }, { additionalProperties: false });

export const WatchQuery = Type.Object(
  {
    /** Only this service's entry; absent = every entry of the tenant the caller may read. */
    service: Type.Optional(ServiceName),
    /** Resume after this revision (what the last event's `id` said). */
    since: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
  },
  { additionalProperties: false },
);
