/**
 * What each domain adds to the host: routers mounted in front of the provider, and provider
 * configuration that belongs to a domain above `oidc` (pages, errors, logout). One list, so that
 * main.ts, the tests and the benchmark all start the same app.
 */
import type Router from '@koa/router';
import type { Provider } from 'oidc-provider';
import { createOtpDelivery } from './accounts/delivery';
import { createApiCorsRouter } from './api/cors';
import { createIntegratorRouter } from './api/integrator';
import { createApiRouters } from './api/router';
import { interactionConfiguration, interactionRouter } from './interactions';
import { authorizationPostRouter } from './oidc/authorization-post';
import type { ProviderExtensions } from './oidc/provider';
import type { Services } from './services';

export function createRouters(services: Services, provider: Provider): Router[] {
  // The integrator routes (/api/request-otp, /api/token/*) come before any catch-all /api router.
  const integrator = createIntegratorRouter({
    provider,
    otps: services.otps,
    delivery: createOtpDelivery(services.config.otp, services.logger),
    serviceKeys: services.serviceKeys,
    clients: services.clients,
    logger: services.logger,
    otpTtlSeconds: services.config.otp.ttlSeconds,
    bodyLimitBytes: services.config.api.bodyLimitBytes,
    rateLimits: services.rateLimits,
    proxy: services.config.proxy,
  });
  // The login, consent and logout pages come first: nothing else answers under /interaction.
  const interactions = interactionRouter({
    provider,
    accounts: services.accounts,
    logger: services.logger,
    rateLimits: services.rateLimits,
    proxy: services.config.proxy,
  });
  // CORS for all of /api first; the sidecar API (with its /api catch-all 404) after the integrator.
  return [
    // POST at the authorization endpoint (OpenID Connect Core §3.1.2.1) becomes the same GET.
    authorizationPostRouter(),
    createApiCorsRouter(services.config.api.corsOrigins),
    interactions,
    integrator,
    ...createApiRouters(services, provider),
  ];
}

export function createProviderExtensions(services: Services): ProviderExtensions {
  return {
    // Error, logout and signed-out pages, first-party consent, ui_locales_supported.
    ...interactionConfiguration({ accounts: services.accounts }),
  };
}
