/**
 * Look-ups shared within one piece of work: inside `shareFinds(work)` the adapter finds each
 * (model, id) once, so a check that asks for a row ahead of the library's own look-up of it (the
 * grant of a bearer token, oidc/internals.ts verifyAccessToken) shares one query with it. Outside,
 * every find queries. A module of its own so that the adapter and internals.ts both use it without
 * importing each other.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const shared = new AsyncLocalStorage<Map<string, Promise<unknown>>>();

export function shareFinds<T>(work: () => Promise<T>): Promise<T> {
  return shared.run(new Map(), work);
}

/** The find of (model, id) already made in this piece of work, or a new one made by `find`. */
export function sharedFind<T>(model: string, id: string, find: () => Promise<T>): Promise<T> {
  const finds = shared.getStore();
  if (!finds) return find();
  const key = `${model} ${id}`;
  let pending = finds.get(key) as Promise<T> | undefined;
  if (!pending) finds.set(key, (pending = find()));
  return pending;
}
