import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import type { Document } from 'yaml';
import { DeclaredRouteSet, RouteConflictError } from '../gateway/declared-routes/declared-route-set.js';
import { routePolicyProblems } from '../gateway/declared-routes/route-policy-problems.js';
import { BUILT_IN_POLICIES, policyConfigProblems } from '../gateway/policies/index.js';
import { ConfigSchema, ENV_OVERRIDES, type PorticoConfig } from './schema.js';

/** A configuration that cannot start Portico; the message names the key and where it came from. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Where the configuration comes from. */
export interface ConfigSources {
  /** Path of a YAML file; default `PORTICO_CONFIG`, else `./portico.yaml` when it exists. */
  file?: string;
  /** Environment to read overrides from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

const validate = new Ajv({ useDefaults: true, allErrors: false, strict: false }).compile(ConfigSchema);

/**
 * Loads `portico.yaml` (optional), applies `PORTICO_*` environment overrides and validates the
 * result. A bad file or value throws one `ConfigError` naming the key, with the file and line for
 * YAML or the variable for the environment.
 *
 * @example
 * ```ts
 * const config = loadConfig({ env: { PORTICO_PUBLIC_PORT: '0' } });
 * console.log(config.publicPort); // 0
 * ```
 */
export function loadConfig(sources: ConfigSources = {}): PorticoConfig {
  const env = sources.env ?? process.env;
  const explicit = sources.file ?? (env.PORTICO_CONFIG || undefined);
  const file = explicit ?? (existsSync('portico.yaml') ? 'portico.yaml' : undefined);
  const fromFile = file === undefined ? emptyFile() : parseFile(resolve(file), file);
  const envKeys = applyEnv(fromFile.data, env);
  if (validate(fromFile.data)) {
    const config = fromFile.data as PorticoConfig;
    checkAcrossKeys(config, envKeys, fromFile);
    checkPolicies(config, fromFile);
    checkRoutes(config, fromFile);
    return config;
  }
  const error = (validate.errors as ErrorObject[])[0] as ErrorObject;
  const path = errorPath(error);
  const key = path.join('.') || '(root)';
  const problem = describe(error);
  const envName = envKeys.get(path.join('.'));
  if (envName) throw new ConfigError(`${envName}=${JSON.stringify(env[envName])}: ${key} ${problem}`);
  throw new ConfigError(`${fromFile.where(path)}: ${key} ${problem}`);
}

interface ParsedFile {
  data: Record<string, unknown>;
  where(path: string[]): string;
}

function emptyFile(): ParsedFile {
  return { data: {}, where: () => 'configuration' };
}

/**
 * The YAML parser, loaded when there is a file to read: a process configured by `PORTICO_*`
 * variables alone (a gateway in a container, say) never holds it (~1 MiB of heap). Synchronous
 * like the rest of `loadConfig`, hence `require` (the package ships CommonJS too).
 */
function yaml(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

function parseFile(absolute: string, shown: string): ParsedFile {
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (cause) {
    throw new ConfigError(`${shown}: cannot read the config file (${(cause as NodeJS.ErrnoException).code})`);
  }
  const { isMap, LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = lines.linePos(syntax.pos[0]);
    throw new ConfigError(`${shown}:${at.line}:${at.col}: invalid YAML: ${syntax.message.split('\n')[0]}`);
  }
  const data = doc.contents === null ? {} : doc.toJS();
  if (!isMap(doc.contents) && doc.contents !== null) {
    throw new ConfigError(`${shown}:1:1: the config file must be a mapping of keys to values`);
  }
  return {
    data: data as Record<string, unknown>,
    where(path) {
      // The deepest node that exists names the line: the value itself, or its parent for a missing key.
      for (let depth = path.length; depth >= 0; depth--) {
        const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
        const pair = depth > 0 ? findKeyNode(doc, path.slice(0, depth)) : undefined;
        const offset = pair?.range?.[0] ?? node?.range?.[0];
        if (offset !== undefined) {
          const at = lines.linePos(offset);
          return `${shown}:${at.line}:${at.col}`;
        }
      }
      return shown;
    },
  };
}

function findKeyNode(doc: Document, path: string[]) {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!yaml().isMap(parent)) return undefined;
  const pair = parent.items.find((item) => (item.key as { value?: unknown } | null)?.value === path.at(-1));
  return pair?.key as { range?: [number, number, number] } | undefined;
}

function applyEnv(data: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const used = new Map<string, string>();
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let target: Record<string, unknown> | undefined = data;
    for (const segment of path.slice(0, -1)) {
      target[segment] ??= {};
      const next: unknown = target[segment];
      // A section the file set to something else stays as it is, so validation names it and its line.
      if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        target = undefined;
        break;
      }
      target = next as Record<string, unknown>;
    }
    if (target === undefined) continue;
    const leaf = path.at(-1) as string;
    // Numbers arrive as text: convert them for numeric settings only (a data dir may be "2024");
    // text that is not a number stays text and fails validation by name.
    target[leaf] = typedValue(path, raw);
    used.set(path.join('.'), name);
  }
  return used;
}

/** A variable's text as the setting's type: `true`/`false` for a switch, a number for a number. */
function typedValue(path: readonly string[], raw: string): unknown {
  const type = settingType(path);
  const text = raw.trim();
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(text)) return Number(raw);
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return raw;
}

function settingType(path: readonly string[]): string | undefined {
  let schema: { type?: string; properties?: Record<string, unknown> } | undefined = ConfigSchema;
  for (const segment of path) schema = schema?.properties?.[segment] as typeof schema;
  return schema?.type;
}

/** Rules that tie two settings together, which the schema alone cannot say. */
function checkAcrossKeys(config: PorticoConfig, envKeys: Map<string, string>, file: ParsedFile): void {
  if (config.registry.ttlSeconds > config.registry.maxTtlSeconds) {
    const path = ['registry', 'ttlSeconds'];
    const envName = envKeys.get(path.join('.'));
    const where = envName ? `${envName}=${JSON.stringify(String(config.registry.ttlSeconds))}` : file.where(path);
    throw new ConfigError(
      `${where}: registry.ttlSeconds must not exceed registry.maxTtlSeconds (${config.registry.maxTtlSeconds})`,
    );
  }
  // A signing key that stops verifying before the tokens it signed expire would log everyone out.
  if (config.identity.keyGraceSeconds < config.identity.accessTokenTtlSeconds) {
    const path = ['identity', 'keyGraceSeconds'];
    const envName = envKeys.get(path.join('.'));
    const where = envName ? `${envName}=${JSON.stringify(String(config.identity.keyGraceSeconds))}` : file.where(path);
    throw new ConfigError(
      `${where}: identity.keyGraceSeconds must be at least identity.accessTokenTtlSeconds (${config.identity.accessTokenTtlSeconds})`,
    );
  }
  const rateLimit = config.gateway.rateLimit;
  if (rateLimit.store === 'redis' && rateLimit.redisUrl === '') {
    const path = ['gateway', 'rateLimit', 'store'];
    const envName = envKeys.get(path.join('.'));
    const where = envName ? `${envName}="redis"` : file.where(path);
    throw new ConfigError(`${where}: gateway.rateLimit.store is redis, so gateway.rateLimit.redisUrl must be set`);
  }
}

/** Each service's `policies` against its policies' schemas: the schema above only knows they are objects. */
function checkPolicies(config: PorticoConfig, file: ParsedFile): void {
  for (const [service, overrides] of Object.entries(config.services)) {
    if (!overrides.policies) continue;
    const problem = policyConfigProblems(BUILT_IN_POLICIES, overrides.policies, ['services', service, 'policies'])[0];
    if (problem)
      throw new ConfigError(`${file.where([...problem.path])}: ${problem.path.join('.')} ${problem.message}`);
  }
}

function errorPath(error: ErrorObject): string[] {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
  return path;
}

function describe(error: ErrorObject): string {
  switch (error.keyword) {
    case 'additionalProperties':
      return 'is not a known setting';
    case 'enum':
      return `must be one of: ${(error.params.allowedValues as string[]).join(', ')}`;
    case 'type':
      if (error.params.type === 'integer') return 'must be a whole number';
      return `must be ${/^[aeiou]/.test(String(error.params.type)) ? 'an' : 'a'} ${error.params.type}`;
    default:
      return error.message ?? 'is invalid';
  }
}

/** Declared routes: each one's policy settings, then the routes together (no two may take the same requests). */
function checkRoutes(config: PorticoConfig, file: ParsedFile): void {
  config.routes.forEach((route, index) => {
    const problem = routePolicyProblems(route, ['routes', String(index)])[0];
    if (problem)
      throw new ConfigError(`${file.where([...problem.path])}: ${problem.path.join('.')} ${problem.message}`);
  });
  try {
    new DeclaredRouteSet(config.routes);
  } catch (error) {
    if (error instanceof RouteConflictError)
      throw new ConfigError(`${file.where(['routes'])}: routes: ${error.message}`);
    throw error;
  }
}
