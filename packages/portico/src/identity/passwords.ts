import { type Algorithm, hash, verify } from '@node-rs/argon2';

/** argon2id cost parameters; OWASP's floor is 19 MiB, 2 passes, 1 lane. */
export interface Argon2Params {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

// `Algorithm` is an ambient const enum, which isolated modules cannot read: 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/;

/**
 * Hashes and verifies passwords with argon2id. `verifyNothing` spends the same time as a real
 * verification, so a login for a user that does not exist takes as long as one that does.
 *
 * @example
 * ```ts
 * const hasher = new PasswordHasher({ memoryKiB: 19456, iterations: 2, parallelism: 1 });
 * const stored = await hasher.hash('correct horse');
 * await hasher.verify(stored, 'correct horse'); // true
 * ```
 */
export class PasswordHasher {
  readonly #params: Argon2Params;
  #dummy: Promise<string> | undefined;

  constructor(params: Argon2Params) {
    this.#params = params;
  }

  hash(password: string): Promise<string> {
    return hash(password, {
      algorithm: ARGON2ID,
      memoryCost: this.#params.memoryKiB,
      timeCost: this.#params.iterations,
      parallelism: this.#params.parallelism,
      outputLen: 32,
    });
  }

  /** False for a wrong password and for a hash that cannot be read, never a throw. */
  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await verify(stored, password);
    } catch {
      return false;
    }
  }

  /** Verifies against a throwaway hash with the current parameters and always answers false. */
  async verifyNothing(password: string): Promise<false> {
    this.#dummy ??= this.hash(`unknown-${Math.random()}`);
    await this.verify(await this.#dummy, password);
    return false;
  }

  /** True when `stored` was made with other parameters than the current ones. */
  needsRehash(stored: string): boolean {
    const match = PHC.exec(stored);
    if (!match) return true;
    const [, memory, iterations, parallelism] = match.map(Number);
    return (
      memory !== this.#params.memoryKiB ||
      iterations !== this.#params.iterations ||
      parallelism !== this.#params.parallelism
    );
  }
}
