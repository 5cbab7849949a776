import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { ASSERTION_TYPE } from '@portico/sdk';

/** A gateway's public key as the registry publishes it (RFC 8037 OKP JWK). */
export interface AssertionJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

/**
 * The key a gateway signs identity assertions with: an Ed25519 pair made when the process
 * starts and never written anywhere, so a restarted gateway has a new key (services fetch it
 * from the registry on its unknown `kid`). Signing is synchronous (`crypto.sign`), so the hot
 * path never waits on a promise.
 *
 * @example
 * ```ts
 * const signer = new AssertionSigner();
 * await registry.publishAssertionKey(signer.publicJwk, 90);
 * const jws = signer.sign({ iss: 'portico-gateway', aud: 'orders', sub: 'u-1', exp: now + 60 });
 * ```
 */
export class AssertionSigner {
  readonly kid: string;
  readonly publicJwk: AssertionJwk;
  readonly #privateKey: KeyObject;
  /** The protected header never changes for a key: encoded once. */
  readonly #header: string;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const x = publicKey.export({ format: 'jwk' }).x as string;
    // RFC 7638 thumbprint: the id follows from the key, and names nothing else.
    this.kid = createHash('sha256')
      .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
      .digest('base64url');
    this.publicJwk = { kty: 'OKP', crv: 'Ed25519', x, kid: this.kid, alg: 'EdDSA', use: 'sig' };
    this.#privateKey = privateKey;
    this.#header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: ASSERTION_TYPE, kid: this.kid })).toString(
      'base64url',
    );
  }

  /** A compact JWS of `claims`. */
  sign(claims: object): string {
    const input = `${this.#header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${sign(null, Buffer.from(input), this.#privateKey).toString('base64url')}`;
  }
}
