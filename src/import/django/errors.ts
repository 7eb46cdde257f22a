/**
 * Why a Django source could not be read: a dump that is not what `manage.py dumpdata` writes, a
 * database without Django's tables, a connection refused. The message is one line for the operator
 * and never holds a secret (no password of a database URL, no password hash, no client secret).
 */
export class DjangoSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DjangoSourceError';
  }
}
