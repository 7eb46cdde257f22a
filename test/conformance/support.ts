/**
 * What the conformance tests share: the battery's options for a test node (the demo data plus a
 * client_secret_post client the test registers), and the outcomes a conformant Gatehouse may show
 * besides PASS, each with the standard reason it is allowed for.
 */
import type { BatteryOptions, ModuleResult } from '@gatehouse/conformance';
import { createRegistrationToken } from '../../src/oidc/registration-tokens';
import { ALICE, DEMO_CLI, DEMO_SERVICE, DEMO_WEB } from '../support/fixtures';
import type { TestServer } from '../support/server';

export const POST_CLIENT = { id: 'conformance-post', secret: 'conformance-post-secret-0123456789' };

/** Registers the client_secret_post client the battery's oidcc-server-client-secret-post needs. */
export async function registerPostClient(node: TestServer): Promise<void> {
  await node.services.clients.save({
    client_id: POST_CLIENT.id,
    client_secret: POST_CLIENT.secret,
    client_name: 'Conformance (client_secret_post)',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [DEMO_WEB.redirectUri],
  });
}

/**
 * The node's environment for a battery run: the plans after logout register a dozen clients from
 * one source, more than RATE_LIMIT_CLIENT_REGISTRATION's default (20 an hour) leaves for a second run.
 */
export const BATTERY_ENV = { RATE_LIMIT_CLIENT_REGISTRATION: '1000/3600' };

/** An initial access token for the battery's registrations (RFC 7591 §3), as the admin API makes one. */
export async function registrationToken(node: TestServer): Promise<string> {
  return (await createRegistrationToken(node.provider, { expiresIn: 3600 })).token;
}

export function demoOptions(issuer: string, extra: Partial<BatteryOptions> = {}): BatteryOptions {
  return {
    issuer,
    client: { id: DEMO_WEB.id, secret: DEMO_WEB.secret },
    secondClient: { id: DEMO_CLI.id, secret: DEMO_CLI.secret },
    postClient: POST_CLIENT,
    exchangeClient: { id: DEMO_SERVICE.id, secret: DEMO_SERVICE.secret },
    // The demo's API (seeds/demo.js), as the CLI's --resource default names it.
    resource: 'https://api.example.com',
    account: { username: ALICE.username, password: ALICE.password },
    redirectUri: DEMO_WEB.redirectUri,
    postLogoutRedirectUri: DEMO_WEB.postLogoutRedirectUri,
    plans: ['config', 'basic', 'logout'],
    ...extra,
  };
}

/**
 * Module -> the only non-PASS outcome allowed, with the standard reason. The discovery warning
 * applies to an http issuer only (the issue: a warning, not a failure, in development).
 */
export function allowedOutcomes(https: boolean): Record<string, { status: string; reason: RegExp }> {
  return {
    // The suite skips it when discovery does not offer alg none for request objects.
    'oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported': {
      status: 'SKIPPED',
      reason:
        /^discovery does not list none in request_object_signing_alg_values_supported \(the suite skips\); the OP answers request_not_supported by an error redirect$/,
    },
    // Gatehouse's pages show a client's policy_uri and tos_uri (consent) but no logo: the suite
    // leaves the logo to a reviewer's look at its screenshot; the battery warns.
    'oidcc-registration-logo-uri': {
      status: 'WARNING',
      reason: /^no page the person saw shows the client's logo_uri \(an image; the suite asks a reviewer\)$/,
    },
    // Waits 30 seconds: CI runs the immediate oidcc-codereuse; --slow runs this one.
    'oidcc-codereuse-30seconds': { status: 'SKIPPED', reason: /^waits 30 seconds: run with --slow$/ },
    ...(https
      ? {}
      : {
          'oidcc-discovery-endpoint-verification': {
            status: 'WARNING',
            reason: /^http issuer: \d+ endpoints are not https \(acceptable in development only\)$/,
          },
        }),
  };
}

/** Every module's outcome as "STATUS name: reason", for one readable assertion. */
export function outcomes(results: Pick<ModuleResult, 'name' | 'status' | 'reason'>[]): string[] {
  return results.map((r) => `${r.status} ${r.name}${r.reason ? `: ${r.reason}` : ''}`);
}

/** The outcomes that are neither PASS nor an allowed SKIPPED/WARNING. */
export function unexpected(
  results: Pick<ModuleResult, 'name' | 'status' | 'reason'>[],
  https: boolean,
): string[] {
  const allowed = allowedOutcomes(https);
  return outcomes(
    results.filter((r) => {
      if (r.status === 'PASS') return false;
      const rule = allowed[r.name];
      return !(rule && rule.status === r.status && rule.reason.test(r.reason ?? ''));
    }),
  );
}
