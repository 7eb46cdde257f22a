/**
 * The input boundary of Gatehouse's own routes beyond the body (which parseBody checks): a path
 * parameter the database cannot hold names nothing (404), a query parameter that holds such a
 * character is refused naming it (400). See src/db/text.ts for what cannot be stored.
 */
import type { Context, Next } from 'koa';
import { isStorableText } from '../db/text';
import { notFound } from '../errors';
import { refuseUnstorable } from './body';

export async function refuseUnstorableInput(ctx: Context, next: Next): Promise<void> {
  const params = (ctx.params ?? {}) as Record<string, string>;
  for (const value of Object.values(params)) if (!isStorableText(value)) throw notFound();
  refuseUnstorable(ctx.query, 'query');
  await next();
}
