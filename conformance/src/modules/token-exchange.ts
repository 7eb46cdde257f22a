/**
 * Token exchange (RFC 8693; the suite has no plan for it): a person's access token exchanged for
 * one with a narrower scope that works at userinfo, a wider scope refused (invalid_scope), a token
 * that is none refused (§2.2.2), and with --resource a token for that API (a JWT signed by the OP's
 * keys with the API as audience, RFC 9068). The exchanging client is registered for the grant
 * through the registration endpoint; an OP that reserves the grant for clients its operator
 * registers refuses that, and then --exchange-client-id (or the battery's own client) is tried. Skipped when discovery does not list the grant, or no client may use it.
 */
import * as oidc from 'openid-client';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describeError, type ClientCredentials, type ModuleContext } from '../context';
import { defineModule } from '../module';
import { Failure, Skip, check } from '../result';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** The OAuth error of a refused request, or null when it succeeded. */
async function refusal(request: Promise<unknown>): Promise<{ error: string; status: number } | null> {
  try {
    await request;
    return null;
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError) return { error: err.error, status: err.status };
    throw new Failure(`the token exchange request failed: ${describeError(err)}`);
  }
}

/** A client registered for the grant, or why there is none (the reason a Skip gives). */
async function registeredExchanger(ctx: ModuleContext): Promise<ClientCredentials | string> {
  try {
    const client = await ctx.registerClient({
      grant_types: [GRANT],
      response_types: [],
      redirect_uris: [],
      post_logout_redirect_uris: [],
    });
    return ctx.asClient(client);
  } catch (err) {
    if (err instanceof Skip || err instanceof Failure) return err.message;
    throw err;
  }
}

export default defineModule({
  name: 'token-exchange',
  plan: 'token-exchange',
  summary: 'RFC 8693: a narrower token that works, a wider scope and a bad subject token refused',
  async run(ctx) {
    const metadata = await ctx.metadata();
    const grants = metadata.grant_types_supported;
    if (!Array.isArray(grants) || !grants.includes(GRANT))
      throw new Skip('grant_types_supported does not list token exchange');

    const { flow, tokens } = await ctx.signIn({ scope: 'openid profile' });
    const subject = { subject_token: tokens.accessToken, subject_token_type: ACCESS_TOKEN_TYPE };

    const registered = await registeredExchanger(ctx);
    const exchanger =
      typeof registered === 'string' ? (ctx.options.exchangeClient ?? ctx.options.client) : registered;
    const rp = await ctx.rp(exchanger);
    const exchange = (params: Record<string, string>) => oidc.genericGrantRequest(rp, GRANT, params);

    let narrower: oidc.TokenEndpointResponse;
    try {
      narrower = await exchange({ ...subject, scope: 'openid' });
    } catch (err) {
      if (
        typeof registered === 'string' &&
        err instanceof oidc.ResponseBodyError &&
        err.error === 'unauthorized_client'
      )
        throw new Skip(
          `no client may use token exchange: registration: ${registered}; client ${exchanger.id} is not registered for the grant`,
        );
      throw new Failure(`the exchange for a narrower scope failed: ${describeError(err)}`);
    }
    // RFC 8693 §2.2.1: issued_token_type is REQUIRED; the scope asked for, no wider.
    check(
      narrower.issued_token_type === ACCESS_TOKEN_TYPE,
      `issued_token_type is ${String(narrower.issued_token_type)}, expected ${ACCESS_TOKEN_TYPE}`,
    );
    check(
      !narrower.scope || narrower.scope.split(' ').every((s) => s === 'openid'),
      `the narrower token has scope "${narrower.scope}", asked for "openid"`,
    );
    try {
      await oidc.fetchUserInfo(flow.rp, narrower.access_token, tokens.claims.sub);
    } catch (err) {
      throw new Failure(`the exchanged access token fails at userinfo: ${describeError(err)}`);
    }

    const wider = await refusal(exchange({ ...subject, scope: 'openid profile email phone address' }));
    check(wider !== null, 'a scope wider than the subject token was exchanged');
    check(wider.error === 'invalid_scope', `a wider scope got ${wider.error}, expected invalid_scope`);

    // §2.2.2 names invalid_request for a subject token that is invalid; invalid_grant is accepted too.
    const bad = await refusal(
      exchange({ subject_token: 'not-a-token', subject_token_type: ACCESS_TOKEN_TYPE }),
    );
    check(bad !== null, 'a subject token that is none was exchanged');
    check(bad.status === 400, `a bad subject token got ${bad.status}, expected 400`);
    check(
      bad.error === 'invalid_grant' || bad.error === 'invalid_request',
      `a bad subject token got ${bad.error}, expected invalid_request or invalid_grant`,
    );

    const { resource } = ctx.options;
    if (!resource) {
      ctx.warn('no --resource given: the exchange for another audience did not run');
      return;
    }
    let forApi: oidc.TokenEndpointResponse;
    try {
      forApi = await exchange({ ...subject, resource });
    } catch (err) {
      throw new Failure(`the exchange for ${resource} failed: ${describeError(err)}`);
    }
    check(forApi.issued_token_type === ACCESS_TOKEN_TYPE, 'the token for the API has no access token type');
    const { jwks } = await ctx.shared.discovery();
    try {
      const { payload } = await jwtVerify(forApi.access_token, createLocalJWKSet(jwks), {
        issuer: metadata.issuer,
        audience: resource,
        typ: 'at+jwt',
      });
      check(
        payload.sub === tokens.claims.sub,
        `the API's token is for ${String(payload.sub)}, not the person`,
      );
    } catch (err) {
      if (err instanceof Failure) throw err;
      throw new Failure(`the token for ${resource} is no JWT access token of the OP: ${describeError(err)}`);
    }
    const unknown = await refusal(exchange({ ...subject, resource: 'https://unregistered.invalid/' }));
    check(
      unknown?.error === 'invalid_target',
      `an unknown resource got ${unknown?.error ?? 'a token'}, expected invalid_target`,
    );
  },
});
