/**
 * The pages a person sees between a relying party's /auth request and its redirect back: login,
 * consent and cancel, under /interaction/:uid (the path of the provider's interaction cookie). Each
 * handler loads the interaction through the provider, checks that it is at the step the handler
 * serves, and finishes it with the provider's interaction API (oidc-provider docs, "User flows").
 *
 * Cross-site forms: the uid in the path is unguessable and bound to the signed, SameSite=Lax
 * interaction cookie, which a cross-site POST does not carry, so a forged form finds no interaction.
 * A same-site page (a sibling subdomain, another port on localhost) would carry the cookie but cannot
 * know the uid; browsers that send Fetch Metadata get a plain refusal for anything not same-origin.
 *
 * The second step of a sign-in (a second factor, enrollment, step-up) is second-factor.ts.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { errors, type Interaction, type Provider } from 'oidc-provider';
import type { AccountStore, AuthResult } from '../accounts/store';
import type { ConsentStore } from '../accounts/consents';
import type { MfaStore } from '../accounts/mfa/store';
import type { ResourceServerStore } from '../clients/resource-servers';
import { MAX_USERNAME_LENGTH } from '../accounts/username';
import { GatehouseError } from '../errors';
import { bodyOf, parseBody } from '../http/body';
import { errorHandler } from '../http/errors';
import { INTERACTION_PATH } from '../oidc/provider';
import type { Logger } from '../log';
import type { RateLimits } from '../security/rate-limits';
import {
  accountByConsent,
  adminByConsent,
  allowedBy,
  apiNamesFor,
  describeRequest,
  grantMissing,
  isFirstParty,
} from './consent';
import { ACCOUNT_PATHS } from './account/client';
import { createErrorPage } from './error-page';
import { createInteractionKit, setRetryAfter, stepUrl } from './interaction-kit';
import {
  FORM_LIMIT_BYTES,
  pageHeaders,
  refuseCrossSite,
  serveStaticAsset,
  withinLoginLimit,
} from './page-guards';
import { createSecondFactor } from './second-factor';
import { interactionClientId } from './sign-in';
import { STYLESHEET_PATH, type Pages } from './views';

export interface InteractionDeps {
  provider: Provider;
  /** Signs in and looks up the account the interaction is about. */
  accounts: Pick<AccountStore, 'authenticate' | 'findById' | 'recordSignedIn'>;
  /** Remembers what a person allowed a third-party client (accounts/consents.ts). */
  consents: Pick<ConsentStore, 'remember'>;
  pages: Pages;
  logger: Logger;
  /** RATE_LIMIT_LOGIN: login form posts per source. */
  rateLimits: RateLimits;
  /** PROXY: the source is the last X-Forwarded-For entry. */
  proxy: boolean;
  /** The second factors of the second step (codes, enrollment, whether passkeys exist). */
  mfa: Pick<MfaStore, 'hasSecondFactor' | 'verifyCode' | 'startTotp' | 'confirmTotp' | 'passkeys'>;
  /** MFA_REQUIRED_ROLES: accounts with one of these roles sign in with two factors. */
  mfaRequiredRoles: readonly string[];
  /** REGISTRATION=open: the login page links to the sign-up form (src/interactions/registration). */
  signUpOpen?: boolean;
  /** The registry of APIs: consent names an API by its registered name (RFC 8707). */
  resourceServers: Pick<ResourceServerStore, 'find'>;
}

type LoginProblem = 'missing' | 'rate_limited' | Extract<AuthResult, { ok: false }>['reason'];

/** Unknown user and wrong password read the same (no user enumeration); so does a locked name. */
const LOGIN_PROBLEMS: Record<LoginProblem, { status: number; message: string }> = {
  missing: { status: 400, message: 'login.error.missing' },
  rate_limited: { status: 429, message: 'login.error.rateLimited' },
  invalid_credentials: { status: 401, message: 'login.error.invalid' },
  locked: { status: 429, message: 'login.error.locked' },
  disabled: { status: 403, message: 'login.error.disabled' },
};

export function createInteractionRouter(deps: InteractionDeps): Router {
  const { provider, accounts, pages, logger } = deps;
  const router = new Router();
  const form = parseBody({ limitBytes: FORM_LIMIT_BYTES, types: ['form'] });
  const kit = createInteractionKit({ provider, pages });
  const { loadInteraction, clientName, render, backToCurrentStep } = kit;
  const secondFactor = createSecondFactor(deps, kit);

  async function renderLogin(
    ctx: Context,
    interaction: Interaction,
    options: { username?: string; problem?: LoginProblem } = {},
  ): Promise<void> {
    const t = pages.catalog.translator(ctx.state.language as string);
    const hint = interaction.params.login_hint;
    const username = options.username ?? (typeof hint === 'string' ? hint : '');
    const problem = options.problem ? LOGIN_PROBLEMS[options.problem] : undefined;
    await render(ctx, 'login', problem?.status ?? 200, {
      title: t('login.title'),
      client: await clientName(interaction),
      action: stepUrl(interaction.uid, 'login'),
      abortAction: stepUrl(interaction.uid, 'abort'),
      passkeyOptionsAction: stepUrl(interaction.uid, 'passkey/options'),
      username,
      usernameMaxLength: MAX_USERNAME_LENGTH,
      error: problem ? t(problem.message) : null,
      reauthenticate: Boolean(interaction.session?.accountId),
      registerUrl: deps.signUpOpen ? ACCOUNT_PATHS.register : null,
      forgotUrl: ACCOUNT_PATHS.forgot,
    });
  }

  async function renderConsent(ctx: Context, interaction: Interaction): Promise<void> {
    const t = pages.catalog.translator(ctx.state.language as string);
    const accountId = interaction.session?.accountId;
    const account = accountId ? await accounts.findById(accountId) : null;
    if (!account) throw new errors.SessionNotFound('the signed-in account is gone');
    const client = await provider.Client.find(String(interaction.params.client_id));
    await render(ctx, 'consent', 200, {
      title: t('consent.title', { client: client?.clientName ?? String(interaction.params.client_id) }),
      client: client?.clientName ?? String(interaction.params.client_id),
      clientUri: client?.clientUri,
      policyUri: client?.policyUri,
      tosUri: client?.tosUri,
      username: account.username,
      items: describeRequest(
        interaction,
        t,
        adminByConsent(account, client),
        accountByConsent(client),
        await apiNamesFor(interaction, deps.resourceServers),
      ),
      action: stepUrl(interaction.uid, 'confirm'),
    });
  }

  /** Answers with the provider's next step: back to /auth/:uid, which redirects to the relying party. */
  async function finish(ctx: Context, result: Parameters<Provider['interactionResult']>[2], merge: boolean) {
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: merge,
    });
    ctx.status = 303;
    ctx.redirect(returnTo);
  }

  // The one error handler, answering with the error page whatever the Accept header says.
  const renderFailures = errorHandler(logger, {
    format: 'page',
    renderPage: createErrorPage(pages),
    message: 'interaction failed',
  });

  router.get('getStylesheet', STYLESHEET_PATH, serveStaticAsset(pages.stylesheet, 'text/css; charset=utf-8'));

  const page = [pageHeaders, renderFailures] as const;
  const post = [...page, refuseCrossSite(), form] as const;

  router.get('showInteraction', `${INTERACTION_PATH}/:uid`, ...page, async function showInteraction(ctx) {
    const interaction = await loadInteraction(ctx);
    switch (interaction.prompt.name) {
      case 'login':
        // A password shown and a second factor to come, or a step-up of the session: the second step.
        if (await secondFactor.showSecondStep(ctx, interaction)) return;
        return renderLogin(ctx, interaction);
      case 'consent':
        return renderConsent(ctx, interaction);
      default:
        throw new errors.InvalidRequest(`unsupported prompt ${interaction.prompt.name}`);
    }
  });

  router.post('submitLogin', `${INTERACTION_PATH}/:uid/login`, ...post, async function submitLogin(ctx) {
    const interaction = await loadInteraction(ctx);
    if (interaction.prompt.name !== 'login') return backToCurrentStep(ctx, interaction);
    const body = bodyOf(ctx);
    const username = typeof body.username === 'string' ? body.username.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    // Counted before anything else: a refused post costs no password check and no lockout count.
    if (!(await withinLoginLimit(ctx, deps)))
      return renderLogin(ctx, interaction, { username, problem: 'rate_limited' });
    if (!username || !password) return renderLogin(ctx, interaction, { username, problem: 'missing' });

    // A refusal is recorded in the audit trail by the store (the name, the reason; never the password).
    const outcome = await accounts.authenticate(username, password, {
      method: 'password',
      clientId: interactionClientId(interaction),
    });
    if (!outcome.ok) {
      if (outcome.reason === 'locked') setRetryAfter(ctx, outcome.lockedUntil);
      return renderLogin(ctx, interaction, { username, problem: outcome.reason });
    }
    // Finished here with one factor, or held for the second (second-factor.ts).
    await secondFactor.afterPassword(ctx, interaction, outcome.account);
  });

  secondFactor.register(router, post);

  router.post(
    'submitConsent',
    `${INTERACTION_PATH}/:uid/confirm`,
    ...post,
    async function submitConsent(ctx) {
      const interaction = await loadInteraction(ctx);
      if (interaction.prompt.name !== 'consent') return backToCurrentStep(ctx, interaction);
      const { decision } = bodyOf(ctx);
      if (decision === 'deny') {
        // RFC 6749 §4.1.2.1: the resource owner denied the request.
        return finish(
          ctx,
          { error: 'access_denied', error_description: 'End-User denied the request' },
          false,
        );
      }
      if (decision !== 'allow')
        throw new GatehouseError('invalid_request', 400, 'decision must be allow or deny');
      const accountId = interaction.session?.accountId;
      if (!accountId) throw new errors.SessionNotFound('no signed-in account for this interaction');
      const client = await provider.Client.find(String(interaction.params.client_id));
      const admin = adminByConsent(await accounts.findById(accountId), client);
      const grant = await grantMissing(provider, interaction, accountId, {
        admin,
        account: accountByConsent(client),
      });
      // Remembered beyond this session and this Grant: everything the Grant now holds, so a new
      // session goes straight through (loadExistingGrant). First-party clients are never asked.
      if (client && !isFirstParty(client))
        await deps.consents.remember(accountId, client.clientId, allowedBy(grant));
      const grantId = grant.jti;
      // Keep the login result of this interaction (when login and consent happened in one) with the consent.
      await finish(ctx, { consent: { grantId } }, true);
    },
  );

  router.post(
    'abortInteraction',
    `${INTERACTION_PATH}/:uid/abort`,
    ...post,
    async function abortInteraction(ctx) {
      await loadInteraction(ctx);
      await finish(ctx, { error: 'access_denied', error_description: 'End-User aborted interaction' }, false);
    },
  );

  // A step's URL opened directly (a bookmark, a reload after the redirect): show the current step.
  for (const step of ['login', 'confirm', 'abort', 'mfa', 'enroll', 'enroll/done']) {
    router.get(`${INTERACTION_PATH}/:uid/${step}`, ...page, function redirectToStep(ctx) {
      ctx.status = 303;
      ctx.redirect(stepUrl(ctx.params.uid!));
    });
  }

  return router;
}
