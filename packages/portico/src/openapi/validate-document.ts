import { type OpenApiDocument, PorticoError } from '@portico/sdk';

/** Why a document was refused: `details.reason` of an `OPENAPI_INVALID`. */
export type OpenApiProblem = 'too-large' | 'not-openapi-3' | 'bad-info' | 'bad-paths' | 'bad-components' | 'bad-ref';

/** Component sections whose entries a `$ref` may name (OpenAPI 3.0 and 3.1). */
export const COMPONENT_SECTIONS = [
  'schemas',
  'responses',
  'parameters',
  'examples',
  'requestBodies',
  'headers',
  'securitySchemes',
  'links',
  'callbacks',
  'pathItems',
] as const;

/** OpenAPI's rule for component names; service prefixes keep to it. */
const COMPONENT_NAME = /^[A-Za-z0-9._-]{1,256}$/;
const VERSION = /^3\.[01]\.[0-9]{1,3}$/;

/**
 * Checks a document a service registers: at most `maxBytes` of JSON, an OpenAPI 3.0/3.1 object
 * with `info.title` and `info.version`, paths that start with `/`, component names OpenAPI
 * allows, and only local `$ref`s that resolve. Throws `OPENAPI_INVALID` (400) with
 * `details.reason`; the gateway can then merge any accepted document without failing.
 *
 * @example
 * ```ts
 * validateOpenApi({ openapi: '3.0.3', info: { title: 'orders', version: '1' }, paths: {} }, 262_144);
 * ```
 */
export function validateOpenApi(value: unknown, maxBytes: number): OpenApiDocument {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '');
  if (bytes > maxBytes) {
    refuse('too-large', `the OpenAPI document has ${bytes} bytes; the limit is ${maxBytes}`, { bytes, maxBytes });
  }
  if (!isObject(value) || typeof value.openapi !== 'string' || !VERSION.test(value.openapi)) {
    refuse('not-openapi-3', 'the document must be an OpenAPI 3.0 or 3.1 object (openapi: "3.x.y")');
  }
  const info = value.info;
  if (!isObject(info) || typeof info.title !== 'string' || typeof info.version !== 'string') {
    refuse('bad-info', 'info.title and info.version must be strings');
  }
  if (value.paths !== undefined) {
    if (!isObject(value.paths)) refuse('bad-paths', 'paths must be an object');
    for (const [path, item] of Object.entries(value.paths)) {
      if (!path.startsWith('/') || !isObject(item))
        refuse('bad-paths', `path ${path} must start with / and be an object`);
    }
  }
  if (value.components !== undefined) {
    if (!isObject(value.components)) refuse('bad-components', 'components must be an object');
    for (const [section, entries] of Object.entries(value.components)) {
      if (!isObject(entries)) refuse('bad-components', `components.${section} must be an object`);
      for (const name of Object.keys(entries)) {
        if (!COMPONENT_NAME.test(name)) refuse('bad-components', `components.${section}.${name}: not a valid name`);
      }
    }
  }
  checkRefs(value, value);
  return value as OpenApiDocument;
}

/** Every `$ref` must point inside the document, at something that is there. */
function checkRefs(document: Record<string, unknown>, node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) checkRefs(document, item);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, inner] of Object.entries(node)) {
    if (key === '$ref' && typeof inner === 'string') {
      if (!inner.startsWith('#/')) refuse('bad-ref', `$ref ${inner}: only local references (#/...) are accepted`);
      if (resolvePointer(document, inner) === undefined) refuse('bad-ref', `$ref ${inner} does not resolve`);
    } else {
      checkRefs(document, inner);
    }
  }
}

/**
 * The value a local JSON pointer (`#/components/schemas/Order`) names, or undefined.
 *
 * @example
 * ```ts
 * resolvePointer({ a: { 'b/c': 1 } }, '#/a/b~1c'); // 1
 * ```
 */
export function resolvePointer(document: unknown, ref: string): unknown {
  let node = document;
  for (const token of pointerTokens(ref)) {
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    if (!Object.hasOwn(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/** The unescaped tokens of `#/a/b~1c` → `['a', 'b/c']`. */
export function pointerTokens(ref: string): string[] {
  const body = ref.slice(2);
  let decoded: string;
  try {
    decoded = decodeURIComponent(body);
  } catch {
    decoded = body;
  }
  return decoded.split('/').map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Builds a pointer from tokens: `['a', 'b/c']` → `#/a/b~1c`. */
export function pointerOf(tokens: readonly string[]): string {
  return `#/${tokens.map((token) => token.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuse(reason: OpenApiProblem, message: string, more: Record<string, unknown> = {}): never {
  throw new PorticoError('OPENAPI_INVALID', message, { field: 'openapi', reason, ...more });
}
