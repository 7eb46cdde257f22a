/**
 * The passkey routes: the page script (views/assets/passkeys.js) asks for a ceremony's options,
 * runs it in the browser (navigator.credentials through @simplewebauthn/browser) and posts the
 * result here as JSON; every answer is JSON, the script shows an error or navigates to `redirect`.
 *
 * - Sign in with a passkey (no username: a discoverable credential, WebAuthn §5.4.6) and a passkey as
 *   the second factor after a password: under /interaction/:uid, where the interaction cookie is
 *   sent, finishing the login interaction once (sign-in.ts) with the RFC 8176 methods shown.
 * - Registering a passkey, from the /account/mfa page: under /account/mfa/passkeys, behind that
 *   page's signed-in session and form-token check (account/session.ts accountPageGuard).
 * - The two scripts, as static assets with an ETag (the CSP allows scripts from 'self' only).
 *
 * Posts from another site are refused by Fetch Metadata (Sec-Fetch-Site) as on the login form; the
 * verifying posts count towards the login rate limit of their source.
 */
import fs from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Interaction, Provider } from 'oidc-provider';
import {
  MAX_PASSKEY_NAME_LENGTH,
  type CeremonyRefusal,
  type PasskeyCeremonies,
} from '../accounts/mfa/passkeys';
import type { AccountStore } from '../accounts/store';
import { badRequest } from '../errors';
import { bodyOf, parseBody } from '../http/body';
import { errorHandler } from '../http/errors';
import { INTERACTION_PATH } from '../oidc/provider';
import type { Logger } from '../log';
import type { RateLimits } from '../security/rate-limits';
import { accountPageGuard } from './account/session';
import { requestLanguage, type Translate } from './i18n';
import { createInteractionKit } from './interaction-kit';
import {
  refuseCrossSite,
  serveStaticAsset,
  staticAsset,
  type StaticAsset,
  withinLoginLimit,
} from './page-guards';
import { interactionClientId, pendingSignIn, signInResult } from './sign-in';
import { VIEWS_DIR, type Pages } from './views';

export const PASSKEY_SCRIPT_PATH = '/assets/passkeys.js';
export const WEBAUTHN_BROWSER_PATH = '/assets/simplewebauthn-browser.js';

/** Where /account/mfa registers passkeys. */
export const ACCOUNT_PASSKEYS_PATH = '/account/mfa/passkeys';

/** The login page's "Sign in with a passkey": options at `${this}/options`, the result at this. */
const SIGN_IN_PATH = `${INTERACTION_PATH}/:uid/passkey`;
/** The second-factor page's passkey (views/second-factor.ejs). */
const SECOND_FACTOR_PATH = `${INTERACTION_PATH}/:uid/passkey/second-factor`;

/**
 * The /account pages' signed-in check (helper C's session), for a post: resolves to the signed-in
 * account after checking the post's CSRF token, or throws the 401/403 GatehouseError to answer.
 */
export interface AccountPageGuard {
  signedInForPost(ctx: Context): Promise<{ id: string; username: string }>;
}

export interface PasskeyRouteDeps {
  provider: Provider;
  passkeys: Pick<
    PasskeyCeremonies,
    'registrationOptions' | 'register' | 'authenticationOptions' | 'authenticate' | 'hasPasskeys'
  >;
  accounts: Pick<AccountStore, 'findById' | 'recordSignedIn'>;
  pages: Pages;
  logger: Logger;
  /** RATE_LIMIT_LOGIN: the verifying posts count with the login form's. */
  rateLimits: RateLimits;
  proxy: boolean;
  /** SECRET_KEY: keys the /account pages' form tokens (account/csrf.ts). */
  secretKey: string;
  /** The /account pages' session check; by default theirs (account/session.ts). */
  accountPages?: AccountPageGuard;
}

/** A ceremony's response is a few kilobytes (an attestation object, a signature). */
const JSON_LIMIT_BYTES = 64 * 1024;

/** The refusals the script shows; each names what went wrong without saying whose passkey it was. */
const REFUSAL_MESSAGES: Record<CeremonyRefusal, string> = {
  no_challenge: 'passkey.error.expired',
  invalid_response: 'passkey.error.failed',
  unknown_credential: 'passkey.error.unknown',
  not_verified: 'passkey.error.failed',
  counter: 'passkey.error.failed',
  duplicate: 'passkey.error.duplicate',
};

function loadAsset(file: string): StaticAsset {
  return staticAsset(fs.readFileSync(file));
}

/** The UMD bundle of @simplewebauthn/browser (global `SimpleWebAuthnBrowser`). */
function browserBundlePath(): string {
  // The package exports only its entry point (script/index.js); the bundle sits beside it in dist/.
  const entry = require.resolve('@simplewebauthn/browser');
  return path.join(path.dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js');
}

/** A 400 (or another 4xx) the script shows: `{ error, error_description }` in the page language. */
function refuse(ctx: Context, status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error, error_description: description };
}

export function createPasskeyRouter(deps: PasskeyRouteDeps): Router {
  const { provider, passkeys, accounts, pages, logger } = deps;
  const kit = createInteractionKit({ provider, pages });
  const router = new Router();
  const json = parseBody({ limitBytes: JSON_LIMIT_BYTES, types: ['json'] });
  const scripts: Record<string, StaticAsset> = {
    [PASSKEY_SCRIPT_PATH]: loadAsset(path.join(VIEWS_DIR, 'assets', 'passkeys.js')),
    [WEBAUTHN_BROWSER_PATH]: loadAsset(browserBundlePath()),
  };

  for (const [assetPath, asset] of Object.entries(scripts)) {
    router.get(assetPath, serveStaticAsset(asset, 'text/javascript; charset=utf-8'));
  }

  async function apiHeaders(ctx: Context, next: Next): Promise<void> {
    // Ceremony options and results belong to one person and one moment.
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    await next();
  }

  /** Counted before anything else, with the login form's posts of this source. */
  async function limitLogins(ctx: Context, next: Next): Promise<void> {
    if (!(await withinLoginLimit(ctx, deps))) {
      const t = pages.catalog.translator(requestLanguage(pages.catalog, ctx));
      return refuse(ctx, 429, 'too_many_requests', t('login.error.rateLimited'));
    }
    await next();
  }

  const answerFailures = errorHandler(logger, { format: 'json', message: 'passkey ceremony failed' });
  const post = [
    apiHeaders,
    answerFailures,
    refuseCrossSite('the request was not sent from this site'),
    json,
  ] as const;

  /** The interaction, at its login prompt (a passkey answers nothing else). */
  async function loginInteraction(ctx: Context): Promise<{ interaction: Interaction; t: Translate } | null> {
    const interaction = await kit.loadInteraction(ctx);
    const t = kit.translator(ctx);
    if (interaction.prompt.name !== 'login') {
      refuse(ctx, 400, 'invalid_request', t('passkey.error.step'));
      return null;
    }
    return { interaction, t };
  }

  /** The signed-in account, unless it is gone or disabled since (then the refusal is answered). */
  async function usableAccount(ctx: Context, t: Translate, accountId: string): Promise<boolean> {
    const account = await accounts.findById(accountId);
    if (account && !account.disabled) return true;
    refuse(ctx, 400, 'access_denied', t('login.error.disabled'));
    return false;
  }

  // Sign in with a passkey alone: a discoverable credential, user verification required.
  router.post(
    'passkeySignInOptions',
    `${SIGN_IN_PATH}/options`,
    ...post,
    async function passkeySignInOptions(ctx) {
      const at = await loginInteraction(ctx);
      if (!at) return;
      ctx.body = await passkeys.authenticationOptions('sign_in', at.interaction.uid);
    },
  );

  router.post('passkeySignIn', SIGN_IN_PATH, ...post, limitLogins, async function passkeySignIn(ctx) {
    const at = await loginInteraction(ctx);
    if (!at) return;
    const result = await passkeys.authenticate(
      'sign_in',
      at.interaction.uid,
      bodyOf(ctx),
      undefined,
      interactionClientId(at.interaction),
    );
    if (!result.ok) return refuse(ctx, 400, 'invalid_request', at.t(REFUSAL_MESSAGES[result.reason]));
    if (!(await usableAccount(ctx, at.t, result.accountId))) return;
    logger.info({ accountId: result.accountId, methods: result.methods }, 'signed in with a passkey');
    const redirect = await signInResult(
      provider,
      ctx,
      at.interaction,
      result.accountId,
      result.methods,
      accounts,
    );
    ctx.body = { redirect };
  });

  // A passkey as the second factor of the account whose password was shown (pendingSignIn).
  router.post(
    'passkeySecondFactorOptions',
    `${SECOND_FACTOR_PATH}/options`,
    ...post,
    async function passkeySecondFactorOptions(ctx) {
      const at = await loginInteraction(ctx);
      if (!at) return;
      const pending = pendingSignIn(at.interaction);
      if (!pending) return refuse(ctx, 400, 'invalid_request', at.t('passkey.error.noPending'));
      if (!(await passkeys.hasPasskeys(pending.accountId)))
        return refuse(ctx, 400, 'invalid_request', at.t('passkey.error.none'));
      ctx.body = await passkeys.authenticationOptions('second_factor', at.interaction.uid, pending.accountId);
    },
  );

  router.post(
    'passkeySecondFactor',
    SECOND_FACTOR_PATH,
    ...post,
    limitLogins,
    async function passkeySecondFactor(ctx) {
      const at = await loginInteraction(ctx);
      if (!at) return;
      const pending = pendingSignIn(at.interaction);
      if (!pending) return refuse(ctx, 400, 'invalid_request', at.t('passkey.error.noPending'));
      const result = await passkeys.authenticate(
        'second_factor',
        at.interaction.uid,
        bodyOf(ctx),
        pending.accountId,
        interactionClientId(at.interaction),
      );
      if (!result.ok) return refuse(ctx, 400, 'invalid_request', at.t(REFUSAL_MESSAGES[result.reason]));
      if (!(await usableAccount(ctx, at.t, pending.accountId))) return;
      const redirect = await signInResult(
        provider,
        ctx,
        at.interaction,
        pending.accountId,
        [...pending.methods, ...result.methods],
        accounts,
      );
      ctx.body = { redirect };
    },
  );

  const guard = deps.accountPages ?? accountPageGuard({ provider, accounts, secretKey: deps.secretKey });

  router.post(
    'passkeyRegistrationOptions',
    `${ACCOUNT_PASSKEYS_PATH}/options`,
    ...post,
    async function passkeyRegistrationOptions(ctx) {
      const account = await guard.signedInForPost(ctx);
      ctx.body = await passkeys.registrationOptions(account);
    },
  );

  router.post('registerPasskey', ACCOUNT_PASSKEYS_PATH, ...post, async function registerPasskey(ctx) {
    const account = await guard.signedInForPost(ctx);
    const t = pages.catalog.translator(requestLanguage(pages.catalog, ctx));
    const body = bodyOf(ctx);
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (body.name !== undefined && typeof body.name !== 'string')
      throw badRequest("'name' must be a string", { name: 'must be a string' });
    if (name.length > MAX_PASSKEY_NAME_LENGTH)
      throw badRequest(`'name' is longer than ${MAX_PASSKEY_NAME_LENGTH} characters`, {
        name: `at most ${MAX_PASSKEY_NAME_LENGTH} characters`,
      });
    const result = await passkeys.register(account.id, body.response, name || t('passkey.defaultName'));
    if (!result.ok) return refuse(ctx, 400, 'invalid_request', t(REFUSAL_MESSAGES[result.reason]));
    logger.info({ accountId: account.id }, 'passkey registered');
    ctx.status = 201;
    ctx.body = { id: result.id, name: result.name };
  });

  return router;
}
