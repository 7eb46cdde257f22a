/**
 * The only reader of process.env. Everything the server needs is validated here once, at start, and
 * handed down as one typed object; a bad value stops the start with a message that names the variable.
 */
import path from 'node:path';
import { z } from 'zod';

/** The secret used when SECRET_KEY is not set outside production; production refuses it. */
export const DEV_SECRET_KEY = 'gatehouse-development-secret-do-not-use-in-production';

/** A request limit: at most `points` requests per fixed window of `durationSeconds`. */
export interface RateLimit {
  points: number;
  durationSeconds: number;
}

export type DatabaseConfig =
  { kind: 'postgres'; url: string; poolMax: number } | { kind: 'embedded'; dataDir: string | null };

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  issuer: string;
  proxy: boolean;
  database: DatabaseConfig;
  /** Encrypts signing keys and cookie secrets at rest. */
  secretKey: string;
  ttl: {
    accessToken: number;
    refreshToken: number;
    authorizationCode: number;
    idToken: number;
    session: number;
    interaction: number;
    grant: number;
  };
  /**
   * Seconds during which a retry of a just-rotated refresh token gets the same successor tokens
   * instead of revoking the grant (0: every reuse revokes).
   */
  refreshTokenReuseGraceSeconds: number;
  bcryptCost: number;
  lockout: { maxAttempts: number; windowSeconds: number; durationSeconds: number };
  /** Seed the demo users and clients on the first start (never in production). */
  seedDemo: boolean;
  purgeIntervalSeconds: number;
  /** Seconds between checks for rotated keys (0: never). */
  keysRefreshIntervalSeconds: number;
  /** Seconds a shutdown waits for requests in flight before it cuts them and exits 1. */
  shutdownTimeoutSeconds: number;
  otp: {
    ttlSeconds: number;
    maxAttempts: number;
    resendIntervalSeconds: number;
    /** `disabled`: /api/request-otp answers 202 and sends nothing (the production default). */
    delivery: 'log' | 'webhook' | 'smtp' | 'disabled';
    webhookUrl: string | null;
    webhookSecret: string | null;
    webhookTimeoutMs: number;
    smtpUrl: string | null;
    smtpFrom: string;
    /**
     * smtp:// must upgrade with STARTTLS or fail (production, unless SMTP_INSECURE=true); otherwise
     * it upgrades when the server offers it. smtps:// is TLS from the start either way.
     */
    smtpRequireTls: boolean;
  };
  api: {
    corsOrigins: string[];
    bodyLimitBytes: number;
  };
  /** Limits shared by every node (counted in the database); null turns one off. */
  rateLimits: {
    /** Login form posts per source. */
    login: RateLimit | null;
    /** Password and one-time-code grant requests per source. */
    token: RateLimit | null;
    /** Failed client authentications at the token, introspection and revocation endpoints per source. */
    clientAuthFailures: RateLimit | null;
    /** /api/request-otp per source, and per requested name. */
    otpRequest: RateLimit | null;
    otpRequestName: RateLimit | null;
    /** Password-reset requests per source, and per requested name or address. */
    passwordReset: RateLimit | null;
    passwordResetName: RateLimit | null;
    /** Sign-up and invitation-acceptance posts per source. */
    registration: RateLimit | null;
    /** User-code entries on the device page (RFC 8628 §5.1) per source. */
    deviceCode: RateLimit | null;
    /** Dynamic client registration requests (RFC 7591) per source. */
    clientRegistration: RateLimit | null;
  };
  /** Second factors. */
  mfa: {
    /** MFA_REQUIRED_ROLES: accounts with any of these roles sign in with two factors, always. */
    requiredRoles: string[];
    /** The label authenticator apps show above the code: the issuer's host. */
    totpIssuer: string;
    /** WebAuthn relying party: its id is the issuer's host name, its origin the issuer's origin. */
    webauthn: { rpId: string; rpName: string; origin: string };
  };
  /** The password rules (accounts/password-rules.ts). */
  passwords: { minLength: number; maxLength: number };
  /**
   * REGISTRATION: `off` (the default), `invite` (an administrator's invitation link) or `open` (a
   * "Create an account" link on the login page; the e-mail is verified before the first sign-in).
   */
  registration: 'off' | 'invite' | 'open';
  /** Lifetimes of the single-use links sent by the delivery (OTP_DELIVERY). */
  links: {
    passwordResetTtlSeconds: number;
    emailVerificationTtlSeconds: number;
    invitationTtlSeconds: number;
  };
  /**
   * DJANGO_COMPAT: also answer django-oauth-toolkit's paths (`/o/token/`, `/o/introspect/`, ...) with
   * the same provider, for the clients and resource servers of a team moving off it.
   */
  djangoCompat: boolean;
  /**
   * EXTRA_SCOPES: scopes that release no claims but that clients may ask for and tokens carry, such as
   * django-oauth-toolkit's `read` and `write` (its default SCOPES, and the default here when
   * DJANGO_COMPAT is on).
   */
  extraScopes: string[];
  /**
   * CLIENT_REGISTRATION (RFC 7591): `token` (the default: an initial access token from
   * `gatehouse client registration-token create` is required), `open` (anyone may register, within
   * the self-registration policy) or `off` (no registration endpoint).
   */
  clientRegistration: 'off' | 'token' | 'open';
  /** PAR_REQUIRED (RFC 9126 §5): every client must push its authorization request. */
  parRequired: boolean;
  /** The device authorization grant (RFC 8628): DEVICE_CODE_TTL, the life of a device and user code. */
  deviceFlow: { codeTtlSeconds: number };
  /**
   * The admin console at /admin: ADMIN_CONSOLE (on unless `false`, in production too) and
   * ADMIN_SESSION_TTL, how long its session lasts without a request.
   */
  console: { enabled: boolean; sessionTtlSeconds: number };
  /**
   * Back-channel logout deliveries (OpenID Connect Back-Channel Logout 1.0 §2.7): each request's
   * timeout, and how many times a failed one is tried again.
   */
  backchannelLogout: { timeoutMs: number; retries: number };
  /**
   * GET /metrics (Prometheus text format): on the main port behind METRICS_TOKEN (a bearer token),
   * and/or on METRICS_PORT bound to the loopback address; off when neither is set.
   */
  metrics: { token: string | null; port: number | null };
  /** AUDIT_RETENTION: days an audit event is kept before the purge job deletes it. */
  audit: { retentionDays: number };
  /**
   * Event webhooks (Standard Webhooks): each delivery's timeout, and how many times a failed one is
   * tried again before it is dead-lettered.
   */
  webhooks: { timeoutMs: number; retries: number };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const seconds = (def: number) =>
  z.coerce
    .number()
    .int()
    .positive()
    .max(10 * 365 * 86400)
    .default(def);

/** `POINTS/SECONDS` (e.g. `60/60`), or `0` / `off` for no limit (null). */
const rateLimit = (def: string) =>
  z
    .string()
    .default(def)
    .transform((value, ctx): RateLimit | null => {
      const v = value.trim().toLowerCase();
      if (v === '0' || v === 'off') return null;
      const match = /^(\d{1,7})\/(\d{1,8})$/.exec(v);
      const points = Number(match?.[1]);
      const durationSeconds = Number(match?.[2]);
      const inRange = (n: number, max: number) => n >= 1 && n <= max;
      if (!match || !inRange(points, 1_000_000) || !inRange(durationSeconds, 365 * 86400)) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be POINTS/SECONDS (1-1000000 per 1-31536000 seconds, e.g. 60/60), 0 or off',
        });
        return z.NEVER;
      }
      return { points, durationSeconds };
    });

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  PROXY: bool.default(false),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  DATA_DIR: z.string().min(1).default('./.data'),
  SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL: seconds(3600),
  REFRESH_TOKEN_TTL: seconds(14 * 86400),
  AUTHORIZATION_CODE_TTL: seconds(60),
  ID_TOKEN_TTL: seconds(3600),
  SESSION_TTL: seconds(14 * 86400),
  INTERACTION_TTL: seconds(3600),
  REFRESH_TOKEN_REUSE_GRACE: z.coerce.number().int().min(0).max(3600).default(0),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(10),
  LOCKOUT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(5),
  LOCKOUT_WINDOW: seconds(15 * 60),
  LOCKOUT_DURATION: seconds(15 * 60),
  SEED_DEMO: bool.optional(),
  PURGE_INTERVAL: z.coerce.number().int().min(0).max(86400).default(300),
  KEYS_REFRESH_INTERVAL: z.coerce.number().min(0).max(86400).default(30),
  SHUTDOWN_TIMEOUT: z.coerce.number().int().min(1).max(3600).default(10),
  OTP_TTL: seconds(300),
  OTP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  OTP_RESEND_INTERVAL: z.coerce.number().int().min(0).max(3600).default(30),
  OTP_DELIVERY: z.enum(['log', 'webhook', 'smtp', 'disabled']).optional(),
  OTP_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  OTP_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  OTP_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  SMTP_FROM: z.string().min(3).default('Gatehouse <no-reply@localhost>'),
  SMTP_INSECURE: bool.default(false),
  API_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ }))),
  API_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024),
  RATE_LIMIT_LOGIN: rateLimit('60/60'),
  RATE_LIMIT_TOKEN: rateLimit('300/60'),
  RATE_LIMIT_CLIENT_AUTH_FAILURES: rateLimit('30/60'),
  RATE_LIMIT_OTP_REQUEST: rateLimit('30/600'),
  RATE_LIMIT_OTP_REQUEST_NAME: rateLimit('10/3600'),
  RATE_LIMIT_PASSWORD_RESET: rateLimit('20/600'),
  RATE_LIMIT_PASSWORD_RESET_NAME: rateLimit('5/3600'),
  RATE_LIMIT_REGISTRATION: rateLimit('10/3600'),
  RATE_LIMIT_DEVICE_CODE: rateLimit('10/60'),
  RATE_LIMIT_CLIENT_REGISTRATION: rateLimit('20/3600'),
  PASSWORD_MIN_LENGTH: z.coerce.number().int().min(8).max(128).default(8),
  PASSWORD_RESET_TTL: seconds(30 * 60),
  EMAIL_VERIFICATION_TTL: seconds(24 * 3600),
  INVITATION_TTL: seconds(7 * 24 * 3600),
  REGISTRATION: z.enum(['off', 'invite', 'open']).default('off'),
  MFA_REQUIRED_ROLES: z
    .string()
    .default('')
    .transform((v) => [
      ...new Set(
        v
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean),
      ),
    ])
    .pipe(
      z.array(
        z.string().regex(/^[a-z0-9_.:-]{1,64}$/, 'role names are lower-case letters, digits and _ . : -'),
      ),
    ),
  DJANGO_COMPAT: bool.default(false),
  EXTRA_SCOPES: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : [...new Set(v.split(/[\s,]+/).filter(Boolean))]))
    .pipe(
      z
        .array(
          // RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E.
          z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,64}$/, 'scopes are printable ASCII without " or \\'),
        )
        .optional(),
    ),
  CLIENT_REGISTRATION: z.enum(['off', 'token', 'open']).default('token'),
  PAR_REQUIRED: bool.default(false),
  DEVICE_CODE_TTL: z.coerce.number().int().min(60).max(3600).default(600),
  BACKCHANNEL_LOGOUT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
  BACKCHANNEL_LOGOUT_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  AUDIT_RETENTION: z.coerce.number().int().min(1).max(3650).default(90),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
  WEBHOOK_RETRIES: z.coerce.number().int().min(0).max(20).default(8),
  ADMIN_CONSOLE: bool.optional(),
  ADMIN_SESSION_TTL: seconds(30 * 60),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every environment variable the configuration reads (.env.example lists each with its default). */
export const VARIABLES: readonly string[] = Object.keys(schema.shape);

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
}

/** Builds the Config from an environment (process.env by default); throws ConfigError on bad values. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  // Empty strings in .env files mean "not set".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${formatIssues(parsed.error)}`);
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';

  const issuer = (e.ISSUER ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const problems: string[] = [];
  if (production) {
    if (!e.ISSUER) problems.push('ISSUER: required in production');
    else if (!issuer.startsWith('https://')) problems.push('ISSUER: must be https in production');
    if (!e.SECRET_KEY) problems.push('SECRET_KEY: required in production');
    else if (e.SECRET_KEY === DEV_SECRET_KEY)
      problems.push('SECRET_KEY: the development secret is refused in production');
    if (e.SEED_DEMO) problems.push('SEED_DEMO: the demo data is refused in production');
    if (e.BCRYPT_COST < 10) problems.push('BCRYPT_COST: must be at least 10 in production');
    if (e.OTP_DELIVERY === 'log')
      problems.push('OTP_DELIVERY: log prints codes and is refused in production');
    // The body carries the code: never in clear over the network.
    if (e.OTP_WEBHOOK_URL && new URL(e.OTP_WEBHOOK_URL).protocol !== 'https:')
      problems.push('OTP_WEBHOOK_URL: must be https in production');
  }
  // A sign-up or an invitation is a link sent by the delivery: without one, nobody could finish it.
  const delivery = e.OTP_DELIVERY ?? (production ? 'disabled' : 'log');
  if (e.REGISTRATION !== 'off' && delivery === 'disabled')
    problems.push(`REGISTRATION: ${e.REGISTRATION} needs a delivery (OTP_DELIVERY=webhook or smtp)`);
  if (e.OTP_DELIVERY === 'webhook') {
    if (!e.OTP_WEBHOOK_URL) problems.push('OTP_WEBHOOK_URL: required when OTP_DELIVERY=webhook');
    if (!e.OTP_WEBHOOK_SECRET) problems.push('OTP_WEBHOOK_SECRET: required when OTP_DELIVERY=webhook');
  }
  if (e.OTP_DELIVERY === 'smtp' && !e.SMTP_URL) problems.push('SMTP_URL: required when OTP_DELIVERY=smtp');
  if (new URL(issuer).search || new URL(issuer).hash)
    problems.push('ISSUER: must not have a query or fragment');
  // The provider serves its routes at the root of the host; only django-oauth-toolkit's /o is also
  // served under its path (oidc/django-paths.ts), so that is the one path an issuer may have.
  const issuerPath = new URL(issuer).pathname.replace(/\/+$/, '');
  if (issuerPath && (issuerPath !== '/o' || !e.DJANGO_COMPAT))
    problems.push('ISSUER: must have no path (only /o, with DJANGO_COMPAT=true)');
  if (problems.length) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);

  const database: DatabaseConfig = e.DATABASE_URL
    ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX }
    : { kind: 'embedded', dataDir: e.DATA_DIR === ':memory:' ? null : path.resolve(cwd, e.DATA_DIR) };

  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    issuer,
    proxy: e.PROXY,
    database,
    secretKey: e.SECRET_KEY ?? DEV_SECRET_KEY,
    ttl: {
      accessToken: e.ACCESS_TOKEN_TTL,
      refreshToken: e.REFRESH_TOKEN_TTL,
      authorizationCode: e.AUTHORIZATION_CODE_TTL,
      idToken: e.ID_TOKEN_TTL,
      session: e.SESSION_TTL,
      interaction: e.INTERACTION_TTL,
      // Refreshing never extends the Grant, so it must outlive the refresh token.
      grant: Math.max(e.REFRESH_TOKEN_TTL, e.SESSION_TTL),
    },
    refreshTokenReuseGraceSeconds: e.REFRESH_TOKEN_REUSE_GRACE,
    bcryptCost: e.BCRYPT_COST,
    lockout: {
      maxAttempts: e.LOCKOUT_MAX_ATTEMPTS,
      windowSeconds: e.LOCKOUT_WINDOW,
      durationSeconds: e.LOCKOUT_DURATION,
    },
    seedDemo: e.SEED_DEMO ?? !production,
    purgeIntervalSeconds: e.PURGE_INTERVAL,
    keysRefreshIntervalSeconds: e.KEYS_REFRESH_INTERVAL,
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT,
    otp: {
      ttlSeconds: e.OTP_TTL,
      maxAttempts: e.OTP_MAX_ATTEMPTS,
      resendIntervalSeconds: e.OTP_RESEND_INTERVAL,
      delivery,
      webhookUrl: e.OTP_WEBHOOK_URL ?? null,
      webhookSecret: e.OTP_WEBHOOK_SECRET ?? null,
      webhookTimeoutMs: e.OTP_WEBHOOK_TIMEOUT_MS,
      smtpUrl: e.SMTP_URL ?? null,
      smtpFrom: e.SMTP_FROM,
      smtpRequireTls: production && !e.SMTP_INSECURE,
    },
    api: { corsOrigins: e.API_CORS_ORIGINS, bodyLimitBytes: e.API_BODY_LIMIT },
    rateLimits: {
      login: e.RATE_LIMIT_LOGIN,
      token: e.RATE_LIMIT_TOKEN,
      clientAuthFailures: e.RATE_LIMIT_CLIENT_AUTH_FAILURES,
      otpRequest: e.RATE_LIMIT_OTP_REQUEST,
      otpRequestName: e.RATE_LIMIT_OTP_REQUEST_NAME,
      passwordReset: e.RATE_LIMIT_PASSWORD_RESET,
      passwordResetName: e.RATE_LIMIT_PASSWORD_RESET_NAME,
      registration: e.RATE_LIMIT_REGISTRATION,
      deviceCode: e.RATE_LIMIT_DEVICE_CODE,
      clientRegistration: e.RATE_LIMIT_CLIENT_REGISTRATION,
    },
    mfa: {
      requiredRoles: e.MFA_REQUIRED_ROLES,
      totpIssuer: new URL(issuer).host,
      webauthn: { rpId: new URL(issuer).hostname, rpName: 'Gatehouse', origin: new URL(issuer).origin },
    },
    passwords: { minLength: e.PASSWORD_MIN_LENGTH, maxLength: 128 },
    registration: e.REGISTRATION,
    links: {
      passwordResetTtlSeconds: e.PASSWORD_RESET_TTL,
      emailVerificationTtlSeconds: e.EMAIL_VERIFICATION_TTL,
      invitationTtlSeconds: e.INVITATION_TTL,
    },
    djangoCompat: e.DJANGO_COMPAT,
    extraScopes: e.EXTRA_SCOPES ?? (e.DJANGO_COMPAT ? ['read', 'write'] : []),
    clientRegistration: e.CLIENT_REGISTRATION,
    parRequired: e.PAR_REQUIRED,
    deviceFlow: { codeTtlSeconds: e.DEVICE_CODE_TTL },
    console: { enabled: e.ADMIN_CONSOLE ?? true, sessionTtlSeconds: e.ADMIN_SESSION_TTL },
    backchannelLogout: { timeoutMs: e.BACKCHANNEL_LOGOUT_TIMEOUT_MS, retries: e.BACKCHANNEL_LOGOUT_RETRIES },
    metrics: { token: e.METRICS_TOKEN ?? null, port: e.METRICS_PORT ?? null },
    audit: { retentionDays: e.AUDIT_RETENTION },
    webhooks: { timeoutMs: e.WEBHOOK_TIMEOUT_MS, retries: e.WEBHOOK_RETRIES },
    logLevel: e.LOG_LEVEL,
  };
}
