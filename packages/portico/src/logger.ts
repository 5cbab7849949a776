import { type Logger, pino } from 'pino';

/** Paths never written to a log, whatever logs them. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.accessToken',
  '*.refreshToken',
  '*.clientSecret',
  '*.currentPassword',
  '*.newPassword',
  '*.adminPassword',
  '*.secretKey',
  '*.client_secret',
  '*.access_token',
  '*.refresh_token',
  '*.apiKey',
  '*.authorization',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'password',
  'token',
  'authorization',
  'cookie',
  'apiKey',
];

/**
 * Portico's JSON logger on stdout, written asynchronously (pino's own SonicBoom destination,
 * flushed at exit): a write to a slow pipe does not stall the gateway's event loop.
 *
 * @example
 * ```ts
 * const logger = createLogger('debug');
 * logger.info({ service: 'hello' }, 'registered');
 * ```
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = {
    level,
    base: { name: 'portico' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
  };
  // A destination other than stdout is for tests that read what would have been logged.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}
