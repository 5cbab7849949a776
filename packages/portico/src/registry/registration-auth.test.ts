import { describe, expect, it } from 'vitest';
import { hashRegistrationKey, RegistrationAuth } from './registration-auth.js';

const keys = { alpha: [hashRegistrationKey('ka')], beta: [hashRegistrationKey('kb')] };
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'passed';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('RegistrationAuth', () => {
  it('loopback-open lets anonymous writes through only when admin is bound to loopback', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      expect(
        codeOf(() =>
          new RegistrationAuth({ mode: 'loopback-open', keys, adminHost: host }).authorize(undefined, 'alpha'),
        ),
      ).toBe('passed');
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.5']) {
      expect(
        codeOf(() =>
          new RegistrationAuth({ mode: 'loopback-open', keys, adminHost: host }).authorize(undefined, 'alpha'),
        ),
      ).toBe('AUTHENTICATION_ERROR');
    }
  });

  it('refuses a wrong or malformed key even where anonymous writes pass', () => {
    const auth = new RegistrationAuth({ mode: 'loopback-open', keys, adminHost: '127.0.0.1' });
    expect(codeOf(() => auth.authorize('Bearer nope', 'alpha'))).toBe('AUTHENTICATION_ERROR');
    expect(codeOf(() => auth.authorize('Basic ka', 'alpha'))).toBe('AUTHENTICATION_ERROR');
  });

  it("ties a key to its service: alpha's key writes alpha, not beta", () => {
    const auth = new RegistrationAuth({ mode: 'required', keys, adminHost: '127.0.0.1' });
    expect(codeOf(() => auth.authorize('Bearer ka', 'alpha'))).toBe('passed');
    expect(codeOf(() => auth.authorize('Bearer ka', 'beta'))).toBe('AUTHORIZATION_ERROR');
    expect(codeOf(() => auth.authorize(undefined, 'alpha'))).toBe('AUTHENTICATION_ERROR');
  });
});
