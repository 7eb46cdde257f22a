/**
 * The names of Gatehouse's extension grants (RFC 6749 §4.5: an absolute URI, or a name the IANA
 * registry holds), in one place for the grants, the CLI, the API schemas and the client validator.
 * No library import, so that the CLI and the schemas can read them without loading oidc-provider.
 */

/** The resource owner password credentials grant, RFC 6749 §4.3 (a registered name). */
export const PASSWORD_GRANT = 'password';

/** The one-time-code grant: a code from /api/request-otp for tokens (Gatehouse's own URI). */
export const OTP_GRANT = 'urn:gatehouse:params:oauth:grant-type:otp';

/** Every extension grant the provider registers. */
export const EXTENSION_GRANT_TYPES = [PASSWORD_GRANT, OTP_GRANT] as const;

export type ExtensionGrantType = (typeof EXTENSION_GRANT_TYPES)[number];

/** The device authorization grant, RFC 8628 §3.4 (the provider's own, features.deviceFlow). */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Token exchange, RFC 8693 §2.1 (registered by grants/token-exchange.ts). */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
