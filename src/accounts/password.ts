/**
 * Password hashing with bcrypt. Verification of an unknown user compares against a dummy hash of the
 * same cost, so that "no such user" and "wrong password" take the same time.
 */
import bcrypt from 'bcrypt';

export class PasswordHasher {
  private dummy: Promise<string> | undefined;

  constructor(readonly cost: number) {}

  hash(password: string): Promise<string> {
    // bcrypt stops reading at U+0000: "secret\0anything" would set the password "secret".
    if (password.includes('\0')) return Promise.reject(new Error('a password must not contain U+0000'));
    return bcrypt.hash(password, this.cost);
  }

  /** Compares `password` with `hash`, or with a dummy hash when there is none (unknown user). */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    this.dummy ??= bcrypt.hash('gatehouse-timing-equaliser', this.cost);
    const against = hash ?? (await this.dummy);
    const ok = await bcrypt.compare(password, against);
    return ok && hash !== undefined;
  }
}
