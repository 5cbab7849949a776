import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STRIPPED_HEADERS } from '../gateway/stripped-headers.js';
import { ConfigError, loadConfig } from './load.js';
import { ENV_OVERRIDES, type PorticoConfig } from './schema.js';

const DEFAULTS: PorticoConfig = {
  host: '0.0.0.0',
  publicPort: 8080,
  adminHost: '127.0.0.1',
  adminPort: 9080,
  dataDir: '.portico',
  logLevel: 'info',
  shutdownGraceMs: 10_000,
  registryUrl: 'http://127.0.0.1:9080',
  identityUrl: '',
  clusterSecret: '',
  registry: {
    store: 'memory',
    nats: {
      url: '',
      bucket: 'portico-registry',
      replicas: 1,
      history: 16,
      leaderLeaseSeconds: 10,
      sweepMs: 500,
      token: '',
      user: '',
      pass: '',
    },
    ttlSeconds: 30,
    maxTtlSeconds: 3600,
    watchHistory: 10_000,
    auth: 'loopback-open',
    keys: {},
    lastKnownGood: { enabled: true, file: '', debounceMs: 500, waitMs: 250 },
  },
  gateway: {
    balancer: 'round-robin',
    maxBodyBytes: 8 * 1024 * 1024,
    maxHeaderBytes: 16 * 1024,
    connectTimeoutMs: 5_000,
    upstreamTimeoutMs: 30_000,
    connectionsPerUpstream: 256,
    accessLog: true,
    securityHeaders: {
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    },
    strippedHeaders: [...DEFAULT_STRIPPED_HEADERS],
    underscoreHeaders: 'drop',
    rateLimit: { redisUrl: '', redisTimeoutMs: 100, prefix: 'portico:rl:', maxKeys: 100_000 },
    fallbackStore: { redisUrl: '', redisTimeoutMs: 200, prefix: 'portico:fb:', flushMs: 1_000 },
    totalTimeoutMs: 60_000,
    retries: {
      attempts: 3,
      backoffBaseMs: 10,
      backoffMaxMs: 250,
      budgetPercent: 20,
      budgetWindowMs: 10_000,
      budgetMinRetriesPerSecond: 10,
      onStatus: [502, 503, 504],
    },
    outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 5_000, maxEjectionMs: 300_000, maxEjectionPercent: 50 },
    circuitBreaker: { enabled: true, failureThreshold: 5, openMs: 5_000 },
    fallbackCache: {
      enabled: false,
      maxEntryBytes: 256 * 1024,
      maxTotalBytes: 32 * 1024 * 1024,
      maxStaleSeconds: 3_600,
    },
  },
  services: {},
  routes: [],
  store: { url: '', poolSize: 10, encryptionKeys: '', encryptionKeyFile: '' },
  identity: {
    issuer: 'portico',
    audience: 'portico',
    algorithm: 'EdDSA',
    accessTokenTtlSeconds: 900,
    refreshIdleTtlSeconds: 14 * 86_400,
    refreshAbsoluteTtlSeconds: 30 * 86_400,
    keyGraceSeconds: 1800,
    argon2: { memoryKiB: 19_456, iterations: 2, parallelism: 1 },
    throttle: {
      maxFailuresPerIdentifier: 5,
      maxFailuresPerIp: 50,
      windowSeconds: 900,
      lockoutSeconds: 900,
      redisUrl: '',
      redisTimeoutMs: 500,
      prefix: 'portico:lt:',
    },
    adminPassword: '',
    secretKey: '',
  },
  tracing: { enabled: false, exporter: 'otlp', endpoint: '', serviceName: 'portico', sampleRatio: 1 },
  console: { enabled: true, sessionIdleSeconds: 1800, sessionAbsoluteSeconds: 43_200 },
  bus: {
    adapter: 'embedded',
    url: '',
    dedupWindowMs: 120_000,
    retention: { maxAgeMs: 604_800_000 },
    topics: {},
    pollMs: 200,
    sweepMs: 30_000,
    nats: { prefix: 'portico', token: '', user: '', pass: '', maxAckPending: 1000, requestTimeoutMs: 5000 },
    maxFetch: 1000,
    http: { maxWaitMs: 20_000, maxBatch: 100, consumerIdleMs: 60_000, maxConsumers: 1000 },
  },
  realtime: {
    enabled: true,
    path: '/ws',
    authDeadlineMs: 5000,
    maxBufferedBytes: 1048576,
    historySize: 100,
    pingIntervalMs: 30000,
    maxChannelsPerSocket: 100,
    reauthGraceMs: 10000,
    subscribePermission: '',
    topic: 'realtime.publish',
  },
  openapi: { enabled: true, maxDocumentBytes: 262144, title: 'Portico API' },
  configCenter: { adapter: 'store', maxEntryBytes: 65536 },
  scheduler: { enabled: true, pollMs: 1000, maxRunning: 64, historyPerSchedule: 1000, leaseGraceMs: 30000 },
};

let root: string;
let originalCwd: string;
let fileCount = 0;

// `./portico.yaml` is looked up in the working directory: work in an empty one.
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'portico-load-'));
  originalCwd = process.cwd();
  process.chdir(root);
});

afterAll(() => {
  process.chdir(originalCwd);
  rmSync(root, { recursive: true, force: true });
});

/** Writes a YAML file under the temp root and returns its path. */
function yamlFile(text: string, name = `config-${++fileCount}.yaml`): string {
  const path = join(root, name);
  writeFileSync(path, text);
  return path;
}

/** The ConfigError `load` throws; fails the test if it throws nothing or something else. */
function configError(load: () => unknown): ConfigError {
  let thrown: unknown;
  try {
    load();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'loadConfig throws').toBeInstanceOf(ConfigError);
  const error = thrown as ConfigError;
  expect(error.name).toBe('ConfigError');
  expect(error.message, 'one line').not.toContain('\n');
  return error;
}

function quoteRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

describe('loadConfig: where settings come from', () => {
  it('gives every default without a file or variables', () => {
    expect(loadConfig({ env: {} })).toEqual(DEFAULTS);
  });

  it('gives the defaults for an empty file and a file of comments', () => {
    expect(loadConfig({ file: yamlFile(''), env: {} })).toEqual(DEFAULTS);
    expect(loadConfig({ file: yamlFile('# nothing set\n'), env: {} })).toEqual(DEFAULTS);
  });

  it('reads ./portico.yaml when it exists', () => {
    const path = yamlFile('publicPort: 8181\n', 'portico.yaml');
    try {
      expect(loadConfig({ env: {} }).publicPort).toBe(8181);
    } finally {
      rmSync(path);
    }
    expect(loadConfig({ env: {} }).publicPort).toBe(8080);
  });

  it('applies the values of a file and keeps the defaults of the keys it leaves out', () => {
    const file = yamlFile(
      [
        'host: 127.0.0.1',
        'logLevel: debug',
        'registry:',
        '  ttlSeconds: 45',
        'gateway:',
        '  balancer: least-outstanding',
        '  maxBodyBytes: 0',
        '',
      ].join('\n'),
    );
    expect(loadConfig({ file, env: {} })).toEqual({
      ...DEFAULTS,
      host: '127.0.0.1',
      logLevel: 'debug',
      registry: { ...DEFAULTS.registry, ttlSeconds: 45 },
      gateway: { ...DEFAULTS.gateway, balancer: 'least-outstanding', maxBodyBytes: 0 },
    });
  });

  it('reads the file named by PORTICO_CONFIG instead of ./portico.yaml, and an explicit file over both', () => {
    const local = yamlFile('publicPort: 1111\n', 'portico.yaml');
    try {
      const named = yamlFile('publicPort: 2222\n');
      const explicit = yamlFile('publicPort: 3333\n');
      expect(loadConfig({ env: {} }).publicPort).toBe(1111);
      expect(loadConfig({ env: { PORTICO_CONFIG: named } }).publicPort).toBe(2222);
      expect(loadConfig({ file: explicit, env: { PORTICO_CONFIG: named } }).publicPort).toBe(3333);
    } finally {
      rmSync(local);
    }
  });

  it('resolves PORTICO_CONFIG relative to the working directory', () => {
    mkdirSync(join(root, 'conf'), { recursive: true });
    yamlFile('adminPort: 9191\n', 'conf/relative.yaml');
    expect(loadConfig({ env: { PORTICO_CONFIG: 'conf/relative.yaml' } }).adminPort).toBe(9191);
  });

  it('treats an empty PORTICO_CONFIG as unset, like every other variable', () => {
    expect(loadConfig({ env: { PORTICO_CONFIG: '' } })).toEqual(DEFAULTS);
  });

  /** A valid value for each variable, and the key it must land on. */
  const SAMPLES: Record<string, string | number | boolean> = {
    PORTICO_HOST: '10.1.2.3',
    PORTICO_PUBLIC_PORT: 8081,
    PORTICO_ADMIN_HOST: '::1',
    PORTICO_ADMIN_PORT: 9081,
    PORTICO_DATA_DIR: '/var/lib/portico',
    PORTICO_LOG_LEVEL: 'warn',
    PORTICO_SHUTDOWN_GRACE_MS: 2500,
    PORTICO_REGISTRY_URL: 'http://10.0.0.5:9080',
    PORTICO_IDENTITY_URL: 'http://10.0.0.6:9080',
    PORTICO_CLUSTER_SECRET: 'a-cluster-secret-of-at-least-32-characters',
    PORTICO_TTL_SECONDS: 15,
    PORTICO_REGISTRY_AUTH: 'required',
    PORTICO_REGISTRY_STORE: 'nats',
    PORTICO_REGISTRY_NATS_URL: 'nats://10.0.0.9:4222',
    PORTICO_REGISTRY_NATS_BUCKET: 'shop-registry',
    PORTICO_LAST_KNOWN_GOOD: false,
    PORTICO_LAST_KNOWN_GOOD_FILE: '/var/lib/portico/lkg.json',
    PORTICO_BALANCER: 'least-outstanding',
    PORTICO_MAX_BODY_BYTES: 1024,
    PORTICO_UPSTREAM_TIMEOUT_MS: 1500,
    PORTICO_CONNECT_TIMEOUT_MS: 700,
    PORTICO_ACCESS_LOG: false,
    PORTICO_RATE_LIMIT_STORE: 'memory',
    PORTICO_REDIS_URL: 'redis://:secret@cache.internal:6379/2',
    PORTICO_REDIS_TIMEOUT_MS: 50,
    PORTICO_DATABASE_URL: 'postgres://portico@db.internal:5432/portico',
    PORTICO_STORE_KEYS: `k1:${'A'.repeat(43)}=`,
    PORTICO_STORE_KEY_FILE: '/run/secrets/portico-store-key',
    PORTICO_ADMIN_PASSWORD: '12345678',
    PORTICO_IDENTITY_SECRET: 'a-long-random-secret',
    PORTICO_ISSUER: 'https://id.example.test',
    PORTICO_ACCESS_TOKEN_TTL_SECONDS: 600,
    PORTICO_KEY_GRACE_SECONDS: 3600,
    PORTICO_LOGIN_MAX_FAILURES: 3,
    PORTICO_LOGIN_MAX_FAILURES_PER_IP: 100,
    PORTICO_LOGIN_THROTTLE_STORE: 'redis',
    PORTICO_FALLBACK_STORE: 'redis',
    PORTICO_FALLBACK_REDIS_URL: 'redis://:secret@fallback.internal:6379/4',
    PORTICO_LOGIN_THROTTLE_REDIS_URL: 'redis://:secret@throttle.internal:6379/3',
    PORTICO_TRACING_ENABLED: true,
    PORTICO_TRACING_EXPORTER: 'none',
    PORTICO_OTLP_ENDPOINT: 'http://collector.internal:4318/v1/traces',
    PORTICO_TRACING_SAMPLE_RATIO: 0.25,
    PORTICO_REALTIME_ENABLED: false,
    PORTICO_REALTIME_AUTH_DEADLINE_MS: 2500,
    PORTICO_REALTIME_MAX_BUFFERED_BYTES: 65536,
    PORTICO_REALTIME_HISTORY_SIZE: 10,
    PORTICO_REALTIME_PING_INTERVAL_MS: 15000,
    PORTICO_OPENAPI_ENABLED: false,
    PORTICO_SCHEDULER_ENABLED: false,
    PORTICO_SCHEDULER_POLL_MS: 250,
    OTEL_SERVICE_NAME: 'edge-gateway',
  };

  it('has a sample value for every environment override', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(ENV_OVERRIDES).sort());
  });

  it.each(Object.entries(ENV_OVERRIDES))('%s overrides %j, over the file too', (name, path) => {
    const sample = SAMPLES[name] as string | number | boolean;
    const read = (config: PorticoConfig) =>
      path.reduce<unknown>((value, segment) => (value as Record<string, unknown>)[segment], config);
    expect(read(loadConfig({ env: { [name]: String(sample) } }))).toBe(sample);
    // The file sets every key (to its default); the variable still wins.
    const everyKey = yamlFile(JSON.stringify(DEFAULTS));
    expect(read(loadConfig({ file: everyKey, env: { [name]: String(sample) } }))).toBe(sample);
  });

  it('ignores empty variables', () => {
    const file = yamlFile('publicPort: 8181\nlogLevel: warn\n');
    const config = loadConfig({ file, env: { PORTICO_PUBLIC_PORT: '', PORTICO_LOG_LEVEL: '', PORTICO_HOST: '' } });
    expect(config.publicPort).toBe(8181);
    expect(config.logLevel).toBe('warn');
    expect(config.host).toBe('0.0.0.0');
  });

  it('reads numbers for numeric settings and keeps text for text settings', () => {
    expect(loadConfig({ env: { PORTICO_PUBLIC_PORT: ' 8082 ' } }).publicPort).toBe(8082);
    expect(loadConfig({ env: { PORTICO_DATA_DIR: '2024' } }).dataDir).toBe('2024');
    expect(loadConfig({ env: { PORTICO_HOST: '127' } }).host).toBe('127');
  });

  it('reads true and false for switches, and names the variable for anything else', () => {
    expect(loadConfig({ env: { PORTICO_TRACING_ENABLED: 'true' } }).tracing.enabled).toBe(true);
    expect(loadConfig({ env: { PORTICO_TRACING_ENABLED: ' false ' } }).tracing.enabled).toBe(false);
    expect(() => loadConfig({ env: { PORTICO_TRACING_ENABLED: 'yes' } })).toThrow(
      'PORTICO_TRACING_ENABLED="yes": tracing.enabled must be a boolean',
    );
  });

  it('does not touch process.env when given an env', () => {
    const before = process.env.PORTICO_PUBLIC_PORT;
    loadConfig({ env: { PORTICO_PUBLIC_PORT: '1234' } });
    expect(process.env.PORTICO_PUBLIC_PORT).toBe(before);
  });
});

describe('loadConfig: a bad file names the file, the line and the key', () => {
  const cases: { name: string; yaml: string; message: string }[] = [
    {
      name: 'a tab as indentation',
      yaml: 'logLevel: info\ngateway:\n\tbalancer: round-robin\n',
      message: ':3:\\d+: invalid YAML: .+',
    },
    {
      name: 'a key given twice',
      yaml: 'publicPort: 1\nadminPort: 2\npublicPort: 3\n',
      message: ':3:\\d+: invalid YAML: .+',
    },
    {
      name: 'an unclosed flow map',
      yaml: 'publicPort: 1\ngateway: { balancer: round-robin\n',
      message: ':\\d+:\\d+: invalid YAML: .+',
    },
    { name: 'a list', yaml: '- a\n- b\n', message: ':1:1: the config file must be a mapping of keys to values' },
    { name: 'a plain scalar', yaml: 'portico\n', message: ':1:1: the config file must be a mapping of keys to values' },
    {
      name: 'a port as text',
      yaml: 'adminPort: 9080\npublicPort: "abc"\n',
      message: ':2:\\d+: publicPort must be a whole number',
    },
    { name: 'a fractional port', yaml: 'publicPort: 80.5\n', message: ':1:\\d+: publicPort must be a whole number' },
    {
      name: 'a port left empty',
      yaml: 'host: 127.0.0.1\npublicPort:\n',
      message: ':2:\\d+: publicPort must be a whole number',
    },
    {
      name: 'a port above 65535',
      yaml: 'host: 127.0.0.1\n\npublicPort: 70000\n',
      message: ':3:\\d+: publicPort must be <= 65535',
    },
    { name: 'a negative port', yaml: 'adminPort: -1\n', message: ':1:\\d+: adminPort must be >= 0' },
    { name: 'a host that is a boolean', yaml: 'host: true\n', message: ':1:\\d+: host must be a string' },
    {
      name: 'an empty host',
      yaml: 'publicPort: 1\nhost: ""\n',
      message: ':2:\\d+: host must NOT have fewer than 1 characters',
    },
    {
      name: 'an unknown key',
      yaml: 'publicPort: 8080\nlogLevl: debug\n',
      message: ':2:\\d+: logLevl is not a known setting',
    },
    {
      name: 'an unknown nested key',
      yaml: 'gateway:\n  balancer: round-robin\n  balancr: least-outstanding\n',
      message: ':3:\\d+: gateway\\.balancr is not a known setting',
    },
    {
      name: 'a value outside its enum',
      yaml: 'publicPort: 8080\ngateway:\n  balancer: random\n',
      message: ':3:\\d+: gateway\\.balancer must be one of: round-robin, least-outstanding',
    },
    {
      name: 'a bad log level',
      yaml: 'logLevel: loud\n',
      message: ':1:\\d+: logLevel must be one of: fatal, error, warn, info, debug, trace, silent',
    },
    {
      name: 'a nested value below its minimum',
      yaml: 'registry:\n  ttlSeconds: 0\n',
      message: ':2:\\d+: registry\\.ttlSeconds must be >= 1',
    },
    {
      name: 'a nested value above its maximum',
      yaml: 'gateway:\n  maxBodyBytes: 1e20\n',
      message: ':2:\\d+: gateway\\.maxBodyBytes must be <= 1099511627776',
    },
    {
      name: 'a section that is not a mapping',
      yaml: 'publicPort: 1\nregistry: 5\n',
      message: ':2:\\d+: registry must be an object',
    },
    {
      name: 'a default ttl above the largest allowed',
      yaml: 'registry:\n  maxTtlSeconds: 60\n  ttlSeconds: 120\n',
      message: ':3:\\d+: registry\\.ttlSeconds must not exceed registry\\.maxTtlSeconds \\(60\\)',
    },
  ];

  it.each(cases)('$name', ({ yaml, message }) => {
    const file = yamlFile(yaml);
    const error = configError(() => loadConfig({ file, env: {} }));
    expect(error.message).toMatch(new RegExp(`^${quoteRegExp(file)}${message}$`));
  });

  it('shows the path as it was given', () => {
    mkdirSync(join(root, 'conf'), { recursive: true });
    yamlFile('publicPort: 8080\nlogLevl: debug\n', 'conf/shown.yaml');
    const error = configError(() => loadConfig({ env: { PORTICO_CONFIG: 'conf/shown.yaml' } }));
    expect(error.message).toMatch(/^conf\/shown\.yaml:2:\d+: logLevl is not a known setting$/);
  });

  it('names a missing file and a directory', () => {
    const missing = join(root, 'nowhere', 'portico.yaml');
    expect(configError(() => loadConfig({ file: missing, env: {} })).message).toBe(
      `${missing}: cannot read the config file (ENOENT)`,
    );
    expect(configError(() => loadConfig({ env: { PORTICO_CONFIG: missing } })).message).toBe(
      `${missing}: cannot read the config file (ENOENT)`,
    );
    expect(configError(() => loadConfig({ file: root, env: {} })).message).toBe(
      `${root}: cannot read the config file (EISDIR)`,
    );
  });

  it('still reports a bad section of the file when a variable sets a key inside it', () => {
    const file = yamlFile('publicPort: 1\ngateway: 5\n');
    const error = configError(() => loadConfig({ file, env: { PORTICO_BALANCER: 'least-outstanding' } }));
    expect(error.message).toMatch(new RegExp(`^${quoteRegExp(file)}:2:\\d+: gateway must be an object$`));
  });

  it('reports the file, not a variable, when the variables are valid', () => {
    const file = yamlFile('publicPort: 8080\ngateway:\n  balancer: random\n');
    const error = configError(() => loadConfig({ file, env: { PORTICO_PUBLIC_PORT: '0', PORTICO_TTL_SECONDS: '5' } }));
    expect(error.message).toMatch(new RegExp(`^${quoteRegExp(file)}:3:\\d+: gateway\\.balancer must be one of`));
  });
});

describe('loadConfig: a bad variable names the variable, its value and the key', () => {
  const cases: { env: Record<string, string>; message: string }[] = [
    { env: { PORTICO_PUBLIC_PORT: 'abc' }, message: 'PORTICO_PUBLIC_PORT="abc": publicPort must be a whole number' },
    { env: { PORTICO_PUBLIC_PORT: '80.5' }, message: 'PORTICO_PUBLIC_PORT="80.5": publicPort must be a whole number' },
    { env: { PORTICO_ADMIN_PORT: '70000' }, message: 'PORTICO_ADMIN_PORT="70000": adminPort must be <= 65535' },
    { env: { PORTICO_ADMIN_PORT: '-1' }, message: 'PORTICO_ADMIN_PORT="-1": adminPort must be >= 0' },
    {
      env: { PORTICO_LOG_LEVEL: 'loud' },
      message: 'PORTICO_LOG_LEVEL="loud": logLevel must be one of: fatal, error, warn, info, debug, trace, silent',
    },
    { env: { PORTICO_TTL_SECONDS: '-5' }, message: 'PORTICO_TTL_SECONDS="-5": registry.ttlSeconds must be >= 1' },
    {
      env: { PORTICO_TTL_SECONDS: '5000' },
      message: 'PORTICO_TTL_SECONDS="5000": registry.ttlSeconds must not exceed registry.maxTtlSeconds (3600)',
    },
    {
      env: { PORTICO_BALANCER: 'random' },
      message: 'PORTICO_BALANCER="random": gateway.balancer must be one of: round-robin, least-outstanding',
    },
    {
      env: { PORTICO_MAX_BODY_BYTES: '0x10' },
      message: 'PORTICO_MAX_BODY_BYTES="0x10": gateway.maxBodyBytes must be a whole number',
    },
    {
      env: { PORTICO_SHUTDOWN_GRACE_MS: '0' },
      message: 'PORTICO_SHUTDOWN_GRACE_MS="0": shutdownGraceMs must be >= 1',
    },
    {
      env: { PORTICO_REGISTRY_URL: 'ftp://10.0.0.5' },
      message: 'PORTICO_REGISTRY_URL="ftp://10.0.0.5": registryUrl must match pattern "^https?://"',
    },
    {
      env: { PORTICO_UPSTREAM_TIMEOUT_MS: '10s' },
      message: 'PORTICO_UPSTREAM_TIMEOUT_MS="10s": gateway.upstreamTimeoutMs must be a whole number',
    },
  ];

  it.each(cases)('$message', ({ env, message }) => {
    expect(configError(() => loadConfig({ env })).message).toBe(message);
  });

  it('names the variable even when the file sets the same key to a valid value', () => {
    const file = yamlFile('publicPort: 8080\n');
    expect(configError(() => loadConfig({ file, env: { PORTICO_PUBLIC_PORT: 'abc' } })).message).toBe(
      'PORTICO_PUBLIC_PORT="abc": publicPort must be a whole number',
    );
  });

  it('lets a valid variable replace a bad value of the file', () => {
    const file = yamlFile('publicPort: 70000\n');
    expect(loadConfig({ file, env: { PORTICO_PUBLIC_PORT: '0' } }).publicPort).toBe(0);
  });
});
