/**
 * The limit on user-code guesses (RFC 8628 §5.1: "the authorization server SHOULD rate-limit user
 * code attempts"): every post to the verification URI counts one against RATE_LIMIT_DEVICE_CODE for
 * its source address (security/source.ts, the last X-Forwarded-For entry with PROXY), a right code as
 * much as a wrong one, the confirmation and the cancel button as much as the entry, since each of
 * them looks a user code up. Over the limit the post never reaches the provider: the page says so,
 * with 429 and Retry-After (RFC 6585 §4).
 *
 * A host route in front of the provider rather than a provider middleware: the count and its page
 * need the host's error handler (an outage of the count answers with the outage page) and the pages,
 * which live here, above `oidc`. The body is left unread for the provider, which parses its own.
 */
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { errorHandler } from '../../http/errors';
import type { Logger } from '../../log';
import type { RateLimits } from '../../security/rate-limits';
import { sourceOf } from '../../security/source';
import { createErrorPage } from '../error-page';
import { pageHeaders } from '../page-guards';
import { answerPage, type Pages } from '../views';

export interface DeviceLimitDeps {
  /** The provider's code verification path, as the host sees it (provider.pathFor('code_verification')). */
  path: string;
  pages: Pages;
  logger: Logger;
  /** RATE_LIMIT_DEVICE_CODE, kind 'deviceCode'. */
  rateLimits: RateLimits;
  /** PROXY: the source is the last X-Forwarded-For entry. */
  proxy: boolean;
}

export function createDeviceLimitRouter(deps: DeviceLimitDeps): Router {
  const router = new Router();
  const renderFailures = errorHandler(deps.logger, {
    format: 'page',
    renderPage: createErrorPage(deps.pages),
    message: 'device code limit failed',
  });

  async function limitUserCodeGuesses(ctx: Context, next: Next): Promise<void> {
    const verdict = await deps.rateLimits.consume('deviceCode', sourceOf(ctx.req, deps.proxy));
    if (verdict.ok) return next();
    await pageHeaders(ctx, async () => {
      ctx.set('Retry-After', String(verdict.retryAfterSeconds));
      await answerPage(deps.pages, ctx, 'device-limited', 429, (t) => ({
        title: t('device.limited.title'),
        retryAfterSeconds: verdict.retryAfterSeconds,
        action: deps.path,
      }));
    });
  }

  router.post('limitUserCodeGuesses', deps.path, renderFailures, limitUserCodeGuesses);
  return router;
}
