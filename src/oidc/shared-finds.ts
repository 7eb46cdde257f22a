/**
 * Look-ups within one request, so that it makes the fewest round trips and never reads stale rows:
 * - Rows read ahead: a statement that finds a token also returns the Grant it was issued under
 *   (adapter.ts), because the library's next step is to find that grant (introspection, userinfo,
 *   the refresh and code grants). The row waits for that one find of the same request and is then
 *   gone; a write to it in the meantime drops it. It is never served to another request, so a grant
 *   revoked on any node is refused by the next request as it was before.
 * - Inside `shareFinds(work)` the adapter finds each (model, id) once, so a check that asks for a row
 *   ahead of the library's own look-up of it (the grant of a bearer token, oidc/internals.ts
 *   verifyAccessToken) shares one query with it.
 * Outside a request's scope every find queries. A module of its own so that the adapter and
 * internals.ts both use it without importing each other.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface FindScope {
  /** The finds of a `shareFinds` piece of work; null outside one. */
  shared: Map<string, Promise<unknown>> | null;
  /** Rows a statement of this request read ahead, each for the one find that comes for it. */
  ahead: Map<string, unknown>;
}

const scope = new AsyncLocalStorage<FindScope>();

const keyOf = (model: string, id: string) => `${model} ${id}`;

/** One request: rows read ahead stay within it (the app runs every request in one). */
export function findScope<T>(work: () => T): T {
  return scope.run({ shared: null, ahead: new Map() }, work);
}

export function shareFinds<T>(work: () => Promise<T>): Promise<T> {
  const outer = scope.getStore();
  return scope.run({ shared: new Map(), ahead: outer?.ahead ?? new Map() }, work);
}

/** Keeps a row (undefined: known not to exist) read with another for the find that will ask for it. */
export function readAhead(model: string, id: string, row: unknown): void {
  scope.getStore()?.ahead.set(keyOf(model, id), row);
}

/** A write to (model, id): what this request read of it before is no longer what the database holds. */
export function forgetFind(model: string, id: string): void {
  const current = scope.getStore();
  if (!current) return;
  const key = keyOf(model, id);
  current.ahead.delete(key);
  current.shared?.delete(key);
}

/** The row read ahead, the find of (model, id) already made in this piece of work, or a new one. */
export function sharedFind<T>(model: string, id: string, find: () => Promise<T>): Promise<T> {
  const current = scope.getStore();
  if (!current) return find();
  const key = keyOf(model, id);
  let pending = current.shared?.get(key) as Promise<T> | undefined;
  if (pending) return pending;
  if (current.ahead.has(key)) {
    pending = Promise.resolve(current.ahead.get(key) as T);
    current.ahead.delete(key);
  } else pending = find();
  current.shared?.set(key, pending);
  return pending;
}
