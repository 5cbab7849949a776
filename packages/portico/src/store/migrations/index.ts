import type { Migration } from 'kysely';
import * as identity from './0001-identity.js';
import * as secretsAtRest from './0002-secrets-at-rest.js';
import * as bus from './0003-bus.js';
import * as configCenter from './0004-config-center.js';
import * as scheduler from './0005-scheduler.js';

/**
 * Every migration, in the order they apply. Names sort in that order too; a new migration is
 * appended with the next number and never edits an applied one.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-identity': identity,
  '0002-secrets-at-rest': secretsAtRest,
  '0003-bus': bus,
  '0004-config-center': configCenter,
  '0005-scheduler': scheduler,
};
