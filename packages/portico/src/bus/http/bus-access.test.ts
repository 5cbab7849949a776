import { describe, expect, it } from 'vitest';
import type { Principal } from '../../identity/model.js';
import { consumerGroup, consumeTenants, publishTenant, requireBusPermission, requireTenant } from './bus-access.js';

const principal = (tenant: string, permissions: string[] = ['bus.*']): Principal => ({
  kind: 'api-key',
  subject: 'k1',
  tenant,
  roles: [],
  permissions,
  scopes: permissions,
});
const acme = principal('acme');
const platform = principal('platform');

describe('the bus tenant rule', () => {
  it('keeps a tenant to itself and lets the platform tenant reach any', () => {
    expect(() => requireTenant(acme, 'acme')).not.toThrow();
    expect(() => requireTenant(acme, 'globex')).toThrow(expect.objectContaining({ code: 'AUTHORIZATION_ERROR' }));
    expect(() => requireTenant(acme, null)).toThrow(expect.objectContaining({ code: 'AUTHORIZATION_ERROR' }));
    expect(() => requireTenant(platform, 'globex')).not.toThrow();
    expect(() => requireTenant(platform, null)).not.toThrow();
  });

  it('publishes for the own tenant by default; only the platform names another or none', () => {
    expect(publishTenant(acme, undefined)).toBe('acme');
    expect(publishTenant(acme, 'acme')).toBe('acme');
    expect(() => publishTenant(acme, 'globex')).toThrow(expect.objectContaining({ code: 'AUTHORIZATION_ERROR' }));
    expect(publishTenant(platform, undefined)).toBeNull();
    expect(publishTenant(platform, 'globex')).toBe('globex');
  });

  it('consumes the own tenant only, whatever is asked; the platform as asked', () => {
    expect(consumeTenants(acme, undefined)).toEqual(['acme']);
    expect(consumeTenants(acme, ['acme', 'acme'])).toEqual(['acme']);
    expect(() => consumeTenants(acme, ['acme', 'globex'])).toThrow(
      expect.objectContaining({ code: 'AUTHORIZATION_ERROR' }),
    );
    expect(consumeTenants(platform, undefined)).toBeUndefined();
    expect(consumeTenants(platform, ['a', 'b', 'a'])).toEqual(['a', 'b']);
  });

  it('puts a tenant group in its own namespace, never one another tenant can name', () => {
    expect(consumerGroup(acme, 'payout')).toBe('tenant_acme.payout');
    expect(consumerGroup(principal('acme-x'), 'payout')).not.toBe(consumerGroup(acme, 'x.payout'));
    expect(consumerGroup(platform, 'payout')).toBe('payout');
  });

  it('needs the permission, covered by bus.* and *', () => {
    expect(() => requireBusPermission(principal('acme', ['bus.publish']), 'bus.consume', 'consuming')).toThrow(
      /bus\.consume/,
    );
    expect(() => requireBusPermission(principal('acme', ['*']), 'bus.consume', 'consuming')).not.toThrow();
    expect(() => requireBusPermission(acme, 'bus.consume', 'consuming')).not.toThrow();
  });
});
