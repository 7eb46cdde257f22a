/**
 * Unknown routes. Nothing in front of the provider answers them and the provider's router leaves them
 * as Koa's bare 404, so a post-middleware on the provider (oidc-provider docs, "Pre- and
 * post-middlewares") gives them the same shape as the provider's other errors: the error page for
 * browsers, `{ error, error_description }` for everything else.
 */
import type { Context, Next } from 'koa';
import { errorLocals } from './error-page';
import type { Pages } from './views';

export function renderNotFound(pages: Pages) {
  return async function renderNotFound(ctx: Context, next: Next): Promise<void> {
    await next();
    if (ctx.status !== 404 || ctx.body != null) return;
    const out = { error: 'invalid_request', error_description: 'unrecognized route' };
    ctx.status = 404;
    ctx.set('Cache-Control', 'no-store');
    if (ctx.accepts('json', 'html') !== 'html') {
      ctx.body = out;
      return;
    }
    const language = pages.catalog.pick(undefined, ctx.get('accept-language'));
    const t = pages.catalog.translator(language);
    ctx.type = 'html';
    ctx.body = await pages.render('error', language, {
      title: t('error.title'),
      ...errorLocals(out, null, t),
    });
  };
}
