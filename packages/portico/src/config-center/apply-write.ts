import { PorticoError } from '@portico/sdk';
import type { ConfigEntry, ConfigValues, ConfigWrite } from './config-store-port.js';
import { mergePatch } from './merge-patch.js';

/**
 * What a write makes of the current entry, shared by both adapters: the compare-and-set check
 * (`ifRevision`), then the new values, or `undefined` for a delete.
 */
export function applyWrite(
  tenant: string,
  service: string,
  current: ConfigEntry | undefined,
  write: ConfigWrite,
  ifRevision: number | undefined,
  maxBytes = Number.POSITIVE_INFINITY,
): ConfigValues | undefined {
  const revision = current?.revision ?? 0;
  if (ifRevision !== undefined && ifRevision !== revision) {
    throw new PorticoError(
      'PRECONDITION_FAILED',
      `config ${tenant}/${service} is at revision ${revision}, not ${ifRevision}: read it again`,
      { tenant, service, revision },
    );
  }
  if (write.kind === 'delete') {
    if (!current)
      throw new PorticoError('NOT_FOUND', `config ${tenant}/${service} does not exist`, { tenant, service });
    return undefined;
  }
  const values = write.kind === 'put' ? write.values : mergePatch(current?.values ?? {}, write.patch);
  const bytes = Buffer.byteLength(JSON.stringify(values));
  if (bytes > maxBytes) {
    throw new PorticoError(
      'PAYLOAD_TOO_LARGE',
      `config ${tenant}/${service} would have ${bytes} bytes; the limit is ${maxBytes}`,
      {
        tenant,
        service,
        bytes,
        maxBytes,
      },
    );
  }
  return values;
}
