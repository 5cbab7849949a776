import { isObject } from '../openapi/validate-document.js';
import type { ConfigValues } from './config-store-port.js';

/**
 * RFC 7386 JSON merge patch: keys set to `null` are removed, objects merge recursively, every
 * other value replaces. Returns a new object; `target` is not changed.
 *
 * @example
 * ```ts
 * mergePatch({ a: 1, b: { c: 2 } }, { a: null, b: { d: 3 } }); // { b: { c: 2, d: 3 } }
 * ```
 */
export function mergePatch(target: ConfigValues, patch: ConfigValues): ConfigValues {
  const out: ConfigValues = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isObject(value)) out[key] = mergePatch(isObject(out[key]) ? out[key] : {}, value);
    else out[key] = value;
  }
  return out;
}
