/**
 * The self-registration policy (clients/registration-policy.ts), and the feature's validator that
 * applies it: production's https rule (a production node needs an https issuer, which the HTTP tests
 * in test/oidc/registration.test.ts do not run) and the RFC 8252 §7.3 loopback exception.
 */
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { checkSelfRegistration } from '../../src/clients/registration-policy';
import { loadConfig, type Config } from '../../src/config';
import { registration } from '../../src/oidc/features/registration';
import type { ProviderDeps } from '../../src/oidc/provider';

const PRODUCTION = { production: true };
const DEVELOPMENT = { production: false };

describe('checkSelfRegistration', () => {
  it.each([
    [{ redirect_uris: ['http://app.example.com/cb'] }, 'redirect_uris'],
    [{ redirect_uris: ['https://app.example.com/cb', 'http://localhost:8080/cb'] }, 'redirect_uris'],
    [{ post_logout_redirect_uris: ['http://app.example.com/'] }, 'post_logout_redirect_uris'],
    [{ application_type: 'native', redirect_uris: ['http://app.example.com/cb'] }, 'redirect_uris'],
    [{ jwks_uri: 'http://app.example.com/jwks' }, 'jwks_uri'],
    [{ backchannel_logout_uri: 'http://app.example.com/logout' }, 'backchannel_logout_uri'],
  ])('refuses plain http in production: %j', (metadata, field) => {
    expect(checkSelfRegistration(metadata, PRODUCTION)).toMatchObject({ field });
    expect(checkSelfRegistration(metadata, DEVELOPMENT)).toBeNull();
  });

  it.each([
    { redirect_uris: ['https://app.example.com/cb'] },
    // RFC 8252 §7.3 loopback redirects, §7.1 private-use schemes, for native apps.
    { application_type: 'native', redirect_uris: ['http://127.0.0.1/cb', 'http://[::1]:5000/cb'] },
    { application_type: 'native', redirect_uris: ['http://localhost:8400/cb'] },
    { application_type: 'native', redirect_uris: ['com.example.app:/cb'] },
  ])('accepts in production: %j', (metadata) => {
    expect(checkSelfRegistration(metadata, PRODUCTION)).toBeNull();
  });

  it.each([
    [{ scope: 'openid admin' }, 'scope'],
    [{ scope: 'account profile' }, 'scope'],
    [{ grant_types: ['authorization_code', 'password'] }, 'grant_types'],
    [{ grant_types: ['urn:gatehouse:params:oauth:grant-type:otp'] }, 'grant_types'],
    [{ grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'] }, 'grant_types'],
    [{ first_party: true }, 'first_party'],
    [{ first_party: 'yes' }, 'first_party'],
  ])('refuses %j anywhere', (metadata, field) => {
    expect(checkSelfRegistration(metadata, DEVELOPMENT)).toMatchObject({ field });
  });

  it('leaves fields of the wrong type to the provider', () => {
    expect(
      checkSelfRegistration({ scope: 42, grant_types: 'password', redirect_uris: 7 }, PRODUCTION),
    ).toMatchObject({ field: 'grant_types' });
    expect(checkSelfRegistration({ scope: 42, redirect_uris: { a: 1 } }, PRODUCTION)).toBeNull();
    expect(checkSelfRegistration({ first_party: false, admin: true }, PRODUCTION)).toBeNull();
  });
});

describe("the registration feature's validator", () => {
  const deps = {} as ProviderDeps;
  const ctx = {} as KoaContextWithOIDC;

  function validatorFor(config: Config) {
    const validator = registration.configure(config, deps).extraClientMetadata?.validator;
    if (!validator) throw new Error('no validator');
    return validator;
  }

  const production = {
    ...loadConfig({ PORT: '8081' }),
    env: 'production',
    clientRegistration: 'token',
  } satisfies Config;

  it('answers invalid_redirect_uri for an http redirect in production, as the library does', () => {
    const validate = validatorFor(production);
    const metadata = { redirect_uris: ['http://app.example.com/cb'] };
    let thrown: unknown;
    try {
      validate(ctx, 'first_party', undefined, metadata as never);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(errors.InvalidClientMetadata);
    expect(thrown).toMatchObject({ status: 400, message: 'invalid_redirect_uri' });
  });

  it('judges only registration and update requests (a context), and gives a default scope', () => {
    const validate = validatorFor(production);
    const stored = { scope: 'admin' };
    expect(() => validate(undefined, 'first_party', undefined, stored as never)).not.toThrow();
    expect(() => validate(ctx, 'first_party', undefined, stored as never)).toThrow(
      expect.objectContaining({ message: 'invalid_client_metadata' }),
    );
    const registered: Record<string, unknown> = { redirect_uris: ['https://app.example.com/cb'] };
    validate(ctx, 'first_party', undefined, registered as never);
    expect(registered.scope).toBe('openid profile email');
  });

  it('configures nothing with CLIENT_REGISTRATION=off', () => {
    expect(registration.configure({ ...production, clientRegistration: 'off' }, deps)).toEqual({});
  });

  it('asks for an initial access token only with CLIENT_REGISTRATION=token', () => {
    const features = (config: Config) => registration.configure(config, deps).features;
    expect(features(production)?.registration).toMatchObject({ enabled: true, initialAccessToken: true });
    expect(features({ ...production, clientRegistration: 'open' })?.registration).toMatchObject({
      enabled: true,
      initialAccessToken: false,
    });
    expect(features(production)?.registrationManagement).toMatchObject({
      enabled: true,
      rotateRegistrationAccessToken: true,
    });
  });
});
