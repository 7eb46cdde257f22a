/**
 * Configuration: validated once, with messages that name the variable; production refuses insecure
 * defaults.
 */
import { ConfigError, DEV_SECRET_KEY, loadConfig } from '../src/config';

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
});

describe('bad values name the variable', () => {
  it.each([
    [{ PORT: 'abc' }, /PORT: /],
    [{ PORT: '70000' }, /PORT: /],
    [{ ISSUER: 'ftp://x' }, /ISSUER: /],
    [{ ISSUER: 'https://id.example.com/?a=1' }, /ISSUER: must not have a query/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL: /],
    [{ ACCESS_TOKEN_TTL: '-1' }, /ACCESS_TOKEN_TTL: /],
    [{ BCRYPT_COST: '3' }, /BCRYPT_COST: /],
    [{ PROXY: 'maybe' }, /PROXY: /],
    [{ SECRET_KEY: 'short' }, /SECRET_KEY: must be at least 32 characters/],
    [{ OTP_DELIVERY: 'webhook' }, /OTP_WEBHOOK_URL: required.*OTP_WEBHOOK_SECRET: required/],
    [{ OTP_DELIVERY: 'smtp' }, /SMTP_URL: required/],
    [{ API_CORS_ORIGINS: 'https://ok.example, not a url' }, /API_CORS_ORIGINS/],
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
  ])('refuses %o', (override, expected) => {
    expect(message({ ...production, ...override })).toContain(expected);
  });

  it('sends no codes unless a delivery is configured', () => {
    const { OTP_DELIVERY: _unset, ...env } = production;
    expect(loadConfig(env).otp.delivery).toBe('disabled');
  });
});
