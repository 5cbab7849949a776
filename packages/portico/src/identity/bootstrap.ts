import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { type SecretBox, sealContext } from '../store/secrets/secret-box.js';
import type { AuditLog } from './audit-log.js';
import type { PasswordHasher } from './passwords.js';
import { PLATFORM_TENANT } from './permissions.js';
import { randomToken } from './secrets.js';
import type { Users } from './users.js';

const HASH_KEY_SETTING = 'secret-hash-key';

/**
 * The key of the secret hashes. A configured `secretKey` wins (so a copy of the database alone
 * cannot check a guessed token); otherwise one is generated on first start and kept in the store,
 * sealed by the secret box, where every identity process finds the same one.
 *
 * @example
 * ```ts
 * const key = await secretHashKey(db, box, process.env.PORTICO_IDENTITY_SECRET ?? '');
 * ```
 */
export async function secretHashKey(db: Kysely<Database>, box: SecretBox, configured: string): Promise<Buffer> {
  if (configured !== '') return createHash('sha256').update(configured, 'utf8').digest();
  const context = sealContext('identity_settings', 'value', HASH_KEY_SETTING);
  await db
    .insertInto('identity_settings')
    .values({ key: HASH_KEY_SETTING, value: box.seal(randomBytes(32).toString('base64'), context) })
    .onConflict((conflict) => conflict.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('identity_settings')
    .select('value')
    .where('key', '=', HASH_KEY_SETTING)
    .executeTakeFirstOrThrow();
  return Buffer.from(box.open(row.value, context), 'base64');
}

/**
 * First start: the `platform` tenant and its `admin` user (super_admin). The password comes from
 * `adminPassword`, or is generated and returned so the caller can show it once. Later starts
 * change nothing, whatever `adminPassword` says.
 *
 * @example
 * ```ts
 * const { generatedPassword } = await bootstrapPlatform({ db, users, passwords, audit, adminPassword: '' });
 * if (generatedPassword) console.error(`admin password: ${generatedPassword}`);
 * ```
 */
export async function bootstrapPlatform(deps: {
  db: Kysely<Database>;
  users: Users;
  passwords: PasswordHasher;
  audit: AuditLog;
  adminPassword: string;
}): Promise<{ generatedPassword?: string }> {
  const { db, users, passwords, audit } = deps;
  await db
    .insertInto('tenants')
    .values({
      name: PLATFORM_TENANT,
      display_name: 'Platform',
      status: 'active',
      enabled_services: '[]',
      config: '{}',
    })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .execute();
  if (await users.byUsername(PLATFORM_TENANT, 'admin')) return {};
  const generated = deps.adminPassword === '' ? randomToken(18) : undefined;
  const password = generated ?? deps.adminPassword;
  try {
    const admin = await users.create(PLATFORM_TENANT, {
      username: 'admin',
      email: null,
      passwordHash: await passwords.hash(password),
      roles: ['super_admin'],
    });
    await audit.record('system', {
      action: 'user.create',
      tenant: PLATFORM_TENANT,
      target: admin.id,
      changes: { username: 'admin', roles: ['super_admin'] },
    });
  } catch (error) {
    // Another process bootstrapping the same store at the same moment won the race: fine.
    if ((error as { code?: string }).code === 'CONFLICT') return {};
    throw error;
  }
  return generated ? { generatedPassword: generated } : {};
}
