/**
 * An https issuer reached over a plain-http hop: a TLS terminator in front of the node, with PROXY
 * unset or without X-Forwarded-Proto. oidc-provider takes the scheme from the request (Koa's
 * `ctx.protocol`), not from the issuer, and neither warns nor refuses; left alone it
 * - sets its cookies without `Secure`: its cookie jars copy `ctx.secure` (lib/helpers/oidc_context.js,
 *   lib/models/session.js), and with `secure: true` in the cookie options the `cookies` module throws
 *   "Cannot send secure cookie over unencrypted connection" instead;
 * - builds its absolute URLs from `ctx.href` (OIDCContext#urlFor): http:// endpoints in discovery,
 *   the DPoP `htu` it expects (lib/helpers/validate_dpop.js), the audiences it accepts in client
 *   assertions, the action of the logout confirmation form.
 * The issuer is what clients and browsers use, so with an https issuer the provider's requests are
 * https whatever the hop: every cookie is Secure and every URL it builds is https.
 */
import type { Provider } from 'oidc-provider';

export function takeSchemeFromIssuer(provider: Provider): void {
  // Koa's `app.request` is the prototype of every request the app creates, the contexts the provider
  // builds for its cookie jars (`provider.createContext`) included: `secure`, `origin` and `href`
  // all follow `protocol`, and Koa's `ctx.cookies` is created with `secure: ctx.request.secure`.
  Object.defineProperty(provider.request, 'protocol', {
    configurable: true,
    get: () => 'https',
  });
}
