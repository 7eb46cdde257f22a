/**
 * Configuration: validated once, with messages that name the variable; production refuses insecure
 * defaults.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, DEV_SECRET_KEY, VARIABLES, loadConfig } from '../src/config';

const SECRET = 'a-production-secret-of-at-least-32-characters';
const production = {
  NODE_ENV: 'production',
  ISSUER: 'https://id.example.com',
  SECRET_KEY: SECRET,
  OTP_DELIVERY: 'disabled',
};

function message(env: Record<string, string>): string {
  try {
    loadConfig(env, '/srv');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ERR_CONFIG');
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('serves http://localhost:3000 from the embedded database under ./.data', () => {
    const config = loadConfig({}, '/srv');
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      issuer: 'http://localhost:3000',
      proxy: false,
      database: { kind: 'embedded', dataDir: '/srv/.data' },
      secretKey: DEV_SECRET_KEY,
      ttl: {
        accessToken: 3600,
        refreshToken: 1209600,
        authorizationCode: 60,
        idToken: 3600,
        session: 1209600,
      },
      bcryptCost: 10,
      lockout: { maxAttempts: 5, windowSeconds: 900, durationSeconds: 900 },
      seedDemo: true,
      otp: { delivery: 'log', ttlSeconds: 300 },
    });
  });

  it('follows PORT in the default issuer and trims a trailing slash from ISSUER', () => {
    expect(loadConfig({ PORT: '8081' }).issuer).toBe('http://localhost:8081');
    expect(loadConfig({ ISSUER: 'https://id.example.com/' }).issuer).toBe('https://id.example.com');
  });

  it('uses PostgreSQL when DATABASE_URL is set, and treats empty values as unset', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@db:5432/gh',
      ISSUER: '',
      DATABASE_POOL_MAX: '4',
    });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/gh', poolMax: 4 });
    expect(config.issuer).toBe('http://localhost:3000');
  });

  it('reads the lifetimes', () => {
    const config = loadConfig({ ACCESS_TOKEN_TTL: '600', REFRESH_TOKEN_TTL: '86400', SESSION_TTL: '3600' });
    expect(config.ttl).toMatchObject({ accessToken: 600, refreshToken: 86400, session: 3600 });
    // Refreshing never extends the Grant: it lives as long as the longest of the two.
    expect(config.ttl.grant).toBe(86400);
  });

  it('rotates refresh tokens strictly unless a grace window is set', () => {
    expect(loadConfig({}).refreshTokenReuseGraceSeconds).toBe(0);
    expect(loadConfig({ REFRESH_TOKEN_REUSE_GRACE: '15' }).refreshTokenReuseGraceSeconds).toBe(15);
  });
});

describe('rate limits', () => {
  it('defaults to limits a normal user never meets', () => {
    expect(loadConfig({}).rateLimits).toEqual({
      login: { points: 60, durationSeconds: 60 },
      token: { points: 300, durationSeconds: 60 },
      clientAuthFailures: { points: 30, durationSeconds: 60 },
      otpRequest: { points: 30, durationSeconds: 600 },
      otpRequestName: { points: 10, durationSeconds: 3600 },
      passwordReset: { points: 20, durationSeconds: 600 },
      passwordResetName: { points: 5, durationSeconds: 3600 },
      registration: { points: 10, durationSeconds: 3600 },
      deviceCode: { points: 10, durationSeconds: 60 },
      clientRegistration: { points: 20, durationSeconds: 3600 },
    });
  });

  it('reads POINTS/SECONDS, and 0 or off turns one off', () => {
    const config = loadConfig({
      RATE_LIMIT_LOGIN: '5/10',
      RATE_LIMIT_TOKEN: '0',
      RATE_LIMIT_CLIENT_AUTH_FAILURES: 'off',
      RATE_LIMIT_OTP_REQUEST: ' 2/3600 ',
      RATE_LIMIT_OTP_REQUEST_NAME: 'OFF',
      RATE_LIMIT_PASSWORD_RESET: '1/1',
      RATE_LIMIT_PASSWORD_RESET_NAME: 'off',
      RATE_LIMIT_REGISTRATION: '0',
      RATE_LIMIT_DEVICE_CODE: '3/30',
      RATE_LIMIT_CLIENT_REGISTRATION: 'off',
    });
    expect(config.rateLimits).toEqual({
      login: { points: 5, durationSeconds: 10 },
      token: null,
      clientAuthFailures: null,
      otpRequest: { points: 2, durationSeconds: 3600 },
      otpRequestName: null,
      passwordReset: { points: 1, durationSeconds: 1 },
      passwordResetName: null,
      registration: null,
      deviceCode: { points: 3, durationSeconds: 30 },
      clientRegistration: null,
    });
  });
});

describe('the protocol features', () => {
  it('defaults to registration with an initial access token, PAR per client, 10-minute device codes', () => {
    const config = loadConfig({});
    expect(config.clientRegistration).toBe('token');
    expect(config.parRequired).toBe(false);
    expect(config.deviceFlow).toEqual({ codeTtlSeconds: 600 });
    expect(config.backchannelLogout).toEqual({ timeoutMs: 5000, retries: 3 });
  });

  it('reads each variable and refuses values out of range', () => {
    const config = loadConfig({
      CLIENT_REGISTRATION: 'open',
      PAR_REQUIRED: 'true',
      DEVICE_CODE_TTL: '120',
      BACKCHANNEL_LOGOUT_TIMEOUT_MS: '250',
      BACKCHANNEL_LOGOUT_RETRIES: '0',
    });
    expect(config.clientRegistration).toBe('open');
    expect(config.parRequired).toBe(true);
    expect(config.deviceFlow).toEqual({ codeTtlSeconds: 120 });
    expect(config.backchannelLogout).toEqual({ timeoutMs: 250, retries: 0 });
    expect(() => loadConfig({ CLIENT_REGISTRATION: 'yes' })).toThrow(/CLIENT_REGISTRATION/);
    expect(() => loadConfig({ DEVICE_CODE_TTL: '30' })).toThrow(/DEVICE_CODE_TTL/);
    expect(() => loadConfig({ BACKCHANNEL_LOGOUT_RETRIES: '11' })).toThrow(/BACKCHANNEL_LOGOUT_RETRIES/);
  });
});

describe('the account', () => {
  it('defaults to 8-character passwords, no sign-up and the link lifetimes of the README', () => {
    const config = loadConfig({});
    expect(config.passwords).toEqual({ minLength: 8, maxLength: 128 });
    expect(config.registration).toBe('off');
    expect(config.links).toEqual({
      passwordResetTtlSeconds: 1800,
      emailVerificationTtlSeconds: 86400,
      invitationTtlSeconds: 604800,
    });
  });

  it('reads PASSWORD_MIN_LENGTH, REGISTRATION and the lifetimes', () => {
    const config = loadConfig({
      PASSWORD_MIN_LENGTH: '12',
      REGISTRATION: 'open',
      PASSWORD_RESET_TTL: '600',
      EMAIL_VERIFICATION_TTL: '3600',
      INVITATION_TTL: '86400',
    });
    expect(config.passwords.minLength).toBe(12);
    expect(config.registration).toBe('open');
    expect(config.links).toEqual({
      passwordResetTtlSeconds: 600,
      emailVerificationTtlSeconds: 3600,
      invitationTtlSeconds: 86400,
    });
  });

  it.each([
    [{ PASSWORD_MIN_LENGTH: '7' }, /PASSWORD_MIN_LENGTH: /],
    [{ PASSWORD_MIN_LENGTH: '129' }, /PASSWORD_MIN_LENGTH: /],
    [{ REGISTRATION: 'maybe' }, /REGISTRATION: /],
    [{ REGISTRATION: 'open', OTP_DELIVERY: 'disabled' }, /REGISTRATION: open needs a delivery/],
    [{ REGISTRATION: 'invite', OTP_DELIVERY: 'disabled' }, /REGISTRATION: invite needs a delivery/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('bad values name the variable', () => {
  it.each([
    [{ PORT: 'abc' }, /PORT: /],
    [{ PORT: '70000' }, /PORT: /],
    [{ ISSUER: 'ftp://x' }, /ISSUER: /],
    [{ ISSUER: 'https://id.example.com/?a=1' }, /ISSUER: must not have a query/],
    [
      { ISSUER: 'https://id.example.com/base' },
      /ISSUER: must have no path \(only \/o, with DJANGO_COMPAT=true\)/,
    ],
    [{ ISSUER: 'https://id.example.com/o' }, /ISSUER: must have no path/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL: /],
    [{ ACCESS_TOKEN_TTL: '-1' }, /ACCESS_TOKEN_TTL: /],
    [{ BCRYPT_COST: '3' }, /BCRYPT_COST: /],
    [{ REFRESH_TOKEN_REUSE_GRACE: '-1' }, /REFRESH_TOKEN_REUSE_GRACE: /],
    [{ REFRESH_TOKEN_REUSE_GRACE: '3601' }, /REFRESH_TOKEN_REUSE_GRACE: /],
    [{ REFRESH_TOKEN_REUSE_GRACE: '1.5' }, /REFRESH_TOKEN_REUSE_GRACE: /],
    [{ PROXY: 'maybe' }, /PROXY: /],
    [{ SECRET_KEY: 'short' }, /SECRET_KEY: must be at least 32 characters/],
    [{ OTP_DELIVERY: 'webhook' }, /OTP_WEBHOOK_URL: required.*OTP_WEBHOOK_SECRET: required/],
    [{ OTP_DELIVERY: 'smtp' }, /SMTP_URL: required/],
    [{ API_CORS_ORIGINS: 'https://ok.example, not a url' }, /API_CORS_ORIGINS/],
    [{ RATE_LIMIT_LOGIN: '60' }, /RATE_LIMIT_LOGIN: must be POINTS\/SECONDS/],
    [{ RATE_LIMIT_TOKEN: '0/60' }, /RATE_LIMIT_TOKEN: must be POINTS\/SECONDS/],
    [{ RATE_LIMIT_CLIENT_AUTH_FAILURES: '30/0' }, /RATE_LIMIT_CLIENT_AUTH_FAILURES: /],
    [{ RATE_LIMIT_OTP_REQUEST: '-1/60' }, /RATE_LIMIT_OTP_REQUEST: /],
    [{ RATE_LIMIT_OTP_REQUEST_NAME: '10 per hour' }, /RATE_LIMIT_OTP_REQUEST_NAME: /],
    [{ RATE_LIMIT_LOGIN: '1.5/60' }, /RATE_LIMIT_LOGIN: /],
  ])('%o', (env, pattern) => {
    expect(message(env)).toMatch(pattern);
  });
});

describe('production', () => {
  it('starts with an https issuer, a secret and no demo data', () => {
    const config = loadConfig(production);
    expect(config).toMatchObject({
      env: 'production',
      issuer: 'https://id.example.com',
      seedDemo: false,
      secretKey: SECRET,
    });
  });

  it.each([
    [{ ISSUER: 'http://id.example.com' }, 'ISSUER: must be https in production'],
    [{ ISSUER: '' }, 'ISSUER: required in production'],
    [{ SECRET_KEY: '' }, 'SECRET_KEY: required in production'],
    [{ SECRET_KEY: DEV_SECRET_KEY }, 'SECRET_KEY: the development secret is refused in production'],
    [{ SEED_DEMO: 'true' }, 'SEED_DEMO: the demo data is refused in production'],
    [{ BCRYPT_COST: '8' }, 'BCRYPT_COST: must be at least 10 in production'],
    [{ OTP_DELIVERY: 'log' }, 'OTP_DELIVERY: log prints codes and is refused in production'],
    [{ OTP_WEBHOOK_URL: 'http://hooks.example.com/otp' }, 'OTP_WEBHOOK_URL: must be https in production'],
  ])('refuses %o', (override, expected) => {
    expect(message({ ...production, ...override })).toContain(expected);
  });

  it('sends no codes unless a delivery is configured', () => {
    const { OTP_DELIVERY: _unset, ...env } = production;
    expect(loadConfig(env).otp.delivery).toBe('disabled');
  });

  it('posts codes to an https webhook only', () => {
    const webhook = { OTP_DELIVERY: 'webhook', OTP_WEBHOOK_SECRET: 'a-webhook-secret-of-16+' };
    const https = { ...production, ...webhook, OTP_WEBHOOK_URL: 'https://hooks.example.com/otp' };
    expect(loadConfig(https).otp.webhookUrl).toBe('https://hooks.example.com/otp');
    expect(loadConfig({ ...webhook, OTP_WEBHOOK_URL: 'http://localhost:9000/otp' }).otp.webhookUrl).toBe(
      'http://localhost:9000/otp',
    );
  });

  it('requires STARTTLS of an smtp:// server unless SMTP_INSECURE=true', () => {
    const smtp = { OTP_DELIVERY: 'smtp', SMTP_URL: 'smtp://mail.example.com:587' };
    expect(loadConfig({ ...production, ...smtp }).otp.smtpRequireTls).toBe(true);
    expect(loadConfig({ ...production, ...smtp, SMTP_INSECURE: 'true' }).otp.smtpRequireTls).toBe(false);
    expect(loadConfig(smtp).otp.smtpRequireTls).toBe(false);
    expect(message({ ...production, ...smtp, SMTP_INSECURE: 'maybe' })).toMatch(/SMTP_INSECURE: /);
  });
});

describe('second factors', () => {
  it('requires none by default and takes WebAuthn and the TOTP label from the issuer', () => {
    expect(loadConfig({ ISSUER: 'https://id.example.com:8443' }, '/srv').mfa).toEqual({
      requiredRoles: [],
      totpIssuer: 'id.example.com:8443',
      webauthn: { rpId: 'id.example.com', rpName: 'Gatehouse', origin: 'https://id.example.com:8443' },
    });
  });

  it('reads MFA_REQUIRED_ROLES as a comma-separated list of role names', () => {
    expect(loadConfig({ MFA_REQUIRED_ROLES: ' admin, ops ,admin' }, '/srv').mfa.requiredRoles).toEqual([
      'admin',
      'ops',
    ]);
    expect(message({ MFA_REQUIRED_ROLES: 'Admin Team' })).toMatch(
      /^invalid configuration: MFA_REQUIRED_ROLES/,
    );
  });
});

describe('DJANGO_COMPAT', () => {
  it('is off by default; on, it offers read and write unless EXTRA_SCOPES says otherwise', () => {
    expect(loadConfig({}, '/srv')).toMatchObject({ djangoCompat: false, extraScopes: [] });
    expect(loadConfig({ DJANGO_COMPAT: 'true' }, '/srv').extraScopes).toEqual(['read', 'write']);
    expect(
      loadConfig({ DJANGO_COMPAT: 'true', EXTRA_SCOPES: 'read,files:read read' }, '/srv').extraScopes,
    ).toEqual(['read', 'files:read']);
  });

  it('allows the issuer django-oauth-toolkit had, https://host/o', () => {
    expect(loadConfig({ DJANGO_COMPAT: 'true', ISSUER: 'https://id.example.com/o/' }, '/srv').issuer).toBe(
      'https://id.example.com/o',
    );
  });

  it('refuses a scope that RFC 6749 §3.3 does not allow', () => {
    expect(message({ EXTRA_SCOPES: 'read "quoted"' })).toMatch(/EXTRA_SCOPES/);
  });
});

describe('.env.example', () => {
  const example = fs.readFileSync(path.resolve(__dirname, '..', '.env.example'), 'utf8');
  const entries = example
    .split('\n')
    .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => [match[1]!, match[2]!] as const);

  it('lists every variable the configuration reads, and nothing else', () => {
    expect(entries.map(([name]) => name).sort()).toEqual([...VARIABLES].sort());
  });

  it('shows the defaults: the file as it is configures what no file does', () => {
    expect(loadConfig(Object.fromEntries(entries), '/srv')).toEqual(loadConfig({}, '/srv'));
  });
});
