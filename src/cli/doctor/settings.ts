/**
 * Settings that the configuration loader accepts but that are unsafe, or blind, in production. The
 * loader already refuses the worst (an http ISSUER, a missing or development SECRET_KEY, the demo
 * data, BCRYPT_COST below 10, OTP codes in the log: config.ts); these are the ones a deployment may
 * have for a reason, so they are reported, not refused. Outside production only NODE_ENV itself is.
 *
 * Serious: PROXY=false behind the TLS proxy an https ISSUER implies (Gatehouse serves plain HTTP):
 * every request then seems to come from the proxy, so the per-source rate limits and lockouts count
 * all users as one and the audit trail records the proxy's address. Everything else is a warning.
 */
import type { Config } from '../../config';
import { isLoopbackHost } from '../../http/loopback';
import { ok, serious, warning, type Finding } from './finding';

/** A retry of a rotated refresh token within this many seconds is a network retry, not a theft. */
const REUSE_GRACE_WARNING_SECONDS = 60;
/** OWASP Password Storage Cheat Sheet: a bcrypt work factor of at least 10; 12 is today's norm. */
const BCRYPT_COST_ADVISED = 12;

const RATE_LIMIT_VARIABLES: Record<keyof Config['rateLimits'], string> = {
  login: 'RATE_LIMIT_LOGIN',
  token: 'RATE_LIMIT_TOKEN',
  clientAuthFailures: 'RATE_LIMIT_CLIENT_AUTH_FAILURES',
  otpRequest: 'RATE_LIMIT_OTP_REQUEST',
  otpRequestName: 'RATE_LIMIT_OTP_REQUEST_NAME',
  passwordReset: 'RATE_LIMIT_PASSWORD_RESET',
  passwordResetName: 'RATE_LIMIT_PASSWORD_RESET_NAME',
  registration: 'RATE_LIMIT_REGISTRATION',
  deviceCode: 'RATE_LIMIT_DEVICE_CODE',
  clientRegistration: 'RATE_LIMIT_CLIENT_REGISTRATION',
};

function productionFindings(config: Config): Finding[] {
  const findings: Finding[] = [];
  if (config.issuer.startsWith('https://') && !config.proxy)
    findings.push(
      serious(
        'settings.proxy',
        'ISSUER is https but PROXY=false: behind the TLS proxy every request seems to come from the proxy, ' +
          'so per-source rate limits and lockouts count all users as one: set PROXY=true',
      ),
    );
  if (config.refreshTokenReuseGraceSeconds > REUSE_GRACE_WARNING_SECONDS)
    findings.push(
      warning(
        'settings.refresh_token_reuse_grace',
        `REFRESH_TOKEN_REUSE_GRACE=${config.refreshTokenReuseGraceSeconds}: a stolen refresh token replayed within ` +
          `that many seconds is not detected; more than ${REUSE_GRACE_WARNING_SECONDS} s is rarely a network retry`,
        { seconds: config.refreshTokenReuseGraceSeconds },
      ),
    );
  const off = (Object.keys(RATE_LIMIT_VARIABLES) as (keyof Config['rateLimits'])[])
    .filter((name) => config.rateLimits[name] === null)
    .map((name) => RATE_LIMIT_VARIABLES[name]);
  if (off.length)
    findings.push(warning('settings.rate_limits', `rate limits turned off: ${off.join(', ')}`, { off }));
  if (config.clientRegistration === 'open')
    findings.push(
      warning(
        'settings.client_registration',
        'CLIENT_REGISTRATION=open: anyone may register a client (RFC 7591) without an initial access token',
      ),
    );
  if (config.bcryptCost < BCRYPT_COST_ADVISED)
    findings.push(
      warning(
        'settings.bcrypt_cost',
        `BCRYPT_COST=${config.bcryptCost}: ${BCRYPT_COST_ADVISED} or more is advised for password hashes`,
        { cost: config.bcryptCost, advised: BCRYPT_COST_ADVISED },
      ),
    );
  if (!config.metrics.token && config.metrics.port === null)
    findings.push(
      warning(
        'settings.metrics',
        'no metrics: neither METRICS_TOKEN (GET /metrics on the main port) nor METRICS_PORT is set',
      ),
    );
  if (!config.mfa.requiredRoles.includes('admin'))
    findings.push(
      warning(
        'settings.mfa_required_roles',
        'MFA_REQUIRED_ROLES does not include admin: administrators may sign in with a password alone',
        { required_roles: config.mfa.requiredRoles },
      ),
    );
  if (config.otp.smtpUrl?.startsWith('smtp://') && !config.otp.smtpRequireTls)
    findings.push(
      warning(
        'settings.smtp_insecure',
        'SMTP_INSECURE=true: codes and links may go to the mail server unencrypted',
      ),
    );
  const httpOrigins = config.api.corsOrigins.filter((origin) => {
    const url = new URL(origin);
    return url.protocol === 'http:' && !isLoopbackHost(url.hostname);
  });
  if (httpOrigins.length)
    findings.push(
      warning('settings.cors_origins', `API_CORS_ORIGINS has http origins: ${httpOrigins.join(', ')}`, {
        origins: httpOrigins,
      }),
    );
  if (config.logLevel === 'debug' || config.logLevel === 'trace')
    findings.push(
      warning('settings.log_level', `LOG_LEVEL=${config.logLevel}: logs far more than production needs`),
    );
  return findings;
}

/** The settings findings; they need no database. */
export function checkSettings(config: Config): Finding[] {
  if (config.env !== 'production')
    return [
      warning(
        'settings.node_env',
        `NODE_ENV=${config.env}: the production safeguards and checks are off (fine for development; ` +
          'a deployment sets NODE_ENV=production)',
        { env: config.env },
      ),
    ];
  const findings = productionFindings(config);
  return findings.length ? findings : [ok('settings.production', 'no unsafe production settings found')];
}
