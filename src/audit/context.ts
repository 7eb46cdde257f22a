/**
 * The request context: who is acting, from where, under which request id, and the node's metrics;
 * carried through a request's (or a CLI command's) asynchronous work by AsyncLocalStorage, so that
 * the stores record audit events with it in their own transactions without every call passing it.
 *
 * The app's first middleware opens one per request (http/request-context.ts); the admin and account
 * API's bearer check names the actor; the CLI opens one per command with the OS user as actor.
 * Outside any context (a job, a test calling a store) events are recorded with the `system` actor.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MetricsSink } from '../metrics/sink';
import type { Actor } from './types';

export interface RequestContext {
  /** The request's id (a well-formed X-Request-Id, or one made up); null outside a request. */
  requestId: string | null;
  /** The source address (security/source.ts: through PROXY), null outside a request. */
  ip: string | null;
  userAgent: string | null;
  /** Set once known: the bearer check, the sign-in, the CLI. */
  actor: Actor;
  /** The node's metrics; absent in the CLI. */
  metrics?: MetricsSink;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const SYSTEM_ACTOR: Actor = Object.freeze({ type: 'system', id: null });

/** Runs `fn` (and everything it starts) inside `context`. */
export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Names who acts for the rest of the current request (no-op outside one). */
export function setActor(actor: Actor): void {
  const context = storage.getStore();
  if (context) context.actor = actor;
}

/** The current actor, or the system outside a context. */
export function currentActor(): Actor {
  return storage.getStore()?.actor ?? SYSTEM_ACTOR;
}

/** The metrics of the node serving the current request, if any. */
export function currentMetrics(): MetricsSink | undefined {
  return storage.getStore()?.metrics;
}
