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
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { name: 'portico' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
  });
}
