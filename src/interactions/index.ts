/**
 * The interactions domain: the login, consent and logout pages. The node builds the page renderer
 * once (`createPages`) and hands it to all three parts: `interactionRouter` gives the host its
 * router, `interactionConfiguration` gives the provider the pages it renders itself, and
 * `notFoundPage` its answer to unknown routes, which fall through the host to the provider.
 */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ConsentStore } from '../accounts/consents';
import type { AccountStore } from '../accounts/store';
import type { ProviderExtensions } from '../oidc/provider';
import { accountClient } from './account/client';
import { adminClient } from './console/client';
import { createDevicePageConfiguration } from './device';
import { mergeConfiguration } from '../oidc/features/merge';
import { renderNotFound } from './not-found';
import { createPageConfiguration } from './provider-pages';
import { createInteractionRouter, type InteractionDeps } from './routes';
import type { Pages } from './views';

export { createPages, type Pages } from './views';
export type { InteractionDeps } from './routes';
export { createPasskeyRouter as passkeyRouter, type PasskeyRouteDeps } from './passkeys';
export { createAccountRouter as accountRouter, type AccountRouterDeps } from './account/router';
export { accountPageGuard } from './account/session';
export { createDeviceLimitRouter as deviceLimitRouter, type DeviceLimitDeps } from './device';
export { ACCOUNT_PATHS } from './account/client';
export { createConsoleRouter as consoleRouter, type ConsoleRouterDeps } from './console/router';
export { createRecoveryRouter as recoveryRouter, type RecoveryRouterDeps } from './recovery/router';
export {
  createRegistrationRouter as registrationRouter,
  type RegistrationRouterDeps,
} from './registration/router';

/** The router of the pages, for the host. */
export function interactionRouter(deps: InteractionDeps): Router {
  return createInteractionRouter(deps);
}

/**
 * The provider's own pages: errors, logout and signed-out, first-party consent, page languages; and
 * the account pages' own client, `gatehouse-account` (account/client.ts), and with the console on, the
 * console's, `gatehouse-admin` (console/client.ts): static clients of `issuer`.
 */
export function interactionConfiguration(deps: {
  accounts: AccountStore;
  consents: Pick<ConsentStore, 'find'>;
  pages: Pages;
  issuer: string;
  console: boolean;
}): ProviderExtensions {
  const clients = [accountClient(deps.issuer), ...(deps.console ? [adminClient(deps.issuer)] : [])];
  // The device flow's pages (device/pages.ts) are more features.deviceFlow, merged per feature.
  return mergeConfiguration(
    { ...createPageConfiguration(deps), clients },
    createDevicePageConfiguration(deps),
  );
}

/** The page (or JSON) for a route nothing answered; the provider mounts it innermost. */
export function notFoundPage(pages: Pages): Middleware {
  return renderNotFound(pages);
}
