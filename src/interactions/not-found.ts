/**
 * Unknown routes. Nothing in front of the provider answers them and the provider's router leaves them
 * as Koa's bare 404, so a post-middleware on the provider (oidc-provider docs, "Pre- and
 * post-middlewares") answers them through the one error handler, in the shape of the provider's
 * other errors: the error page for browsers, `{ error, error_description }` for everything else.
 */
import type { Context, Next } from 'koa';
import { GatehouseError } from '../errors';
import { answerError } from '../http/errors';
import { createErrorPage } from './error-page';
import type { Pages } from './views';

export function renderNotFound(pages: Pages) {
  const renderPage = createErrorPage(pages);
  return async function renderNotFound(ctx: Context, next: Next): Promise<void> {
    await next();
    if (ctx.status !== 404 || ctx.body != null) return;
    const unknownRoute = new GatehouseError('invalid_request', 404, 'unrecognized route');
    await answerError(ctx, unknownRoute, { format: 'negotiate', renderPage });
  };
}
