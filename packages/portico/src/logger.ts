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
];

/**
 * Portico's JSON logger on stdout.
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
  return destination ? pino(options, destination) : pino(options);
}
