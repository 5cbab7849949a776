/**
 * A W3C `traceparent` (trace-context level 1): version, trace id, parent id, flags, all lowercase
 * hex. Version 00 has exactly these four fields; a later version may append more.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;
const ZERO_TRACE_ID = '00000000000000000000000000000000';
const ZERO_PARENT_ID = '0000000000000000';

/**
 * The trace id of a W3C `traceparent` header, or undefined when there is none or it is malformed
 * (repeated headers count as malformed, as the W3C spec says). With tracing off this is the only
 * trace id a request has: the gateway makes none of its own. It loads nothing of OpenTelemetry,
 * so the gateway with tracing off never does.
 *
 * @example
 * ```ts
 * traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'); // '4bf92f3577b34da6a3ce929d0e0e4736'
 * traceIdOf('garbage'); // undefined
 * ```
 */
export function traceIdOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) return undefined;
  const [, version, traceId, parentId, rest] = match as unknown as [string, string, string, string, string?];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return undefined;
  return traceId;
}
