/**
 * OpenID Connect Back-Channel Logout 1.0 with RP-initiated logout (the suite's
 * oidcc-backchannel-rp-initiated-logout): a client registered with a backchannel_logout_uri (a
 * receiver the battery starts on 127.0.0.1) and backchannel_logout_session_required signs in, logs
 * out at the end_session_endpoint, and receives one logout token, checked as §2.6 says: signed
 * with the client's ID token alg by a key of the JWKS, iss, aud, iat, jti, the back-channel logout
 * event (an empty object), sub and sid those of the ID token, no nonce, typ logout+jwt (§2.4).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { defineModule } from '../module';
import { Failure, Skip, check } from '../result';
import { endSessionEndpoint, logoutUrl } from '../steps/logout';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const WAIT_MS = 20_000;

/** The relying party's back-channel logout endpoint (§2.5): 200 to each POST, the tokens kept. */
async function startReceiver() {
  const tokens: { token: string; contentType: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      tokens.push({ token: body.get('logout_token') ?? '', contentType: req.headers['content-type'] });
      // §2.8: 200 OK, and no caching of the answer.
      res.writeHead(200, { 'cache-control': 'no-store' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/backchannel-logout`,
    tokens,
    async next(timeoutMs: number) {
      const until = Date.now() + timeoutMs;
      while (!tokens.length && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      return tokens[0];
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function isLoopback(issuer: string): boolean {
  const host = new URL(issuer).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

export default defineModule({
  name: 'oidcc-backchannel-rp-initiated-logout',
  plan: 'backchannel',
  summary:
    'RP-initiated logout sends the registered backchannel_logout_uri one valid logout token (typ logout+jwt, events, sid)',
  async run(ctx) {
    const metadata = await ctx.metadata();
    if (metadata.backchannel_logout_supported !== true)
      throw new Skip('discovery does not say backchannel_logout_supported');
    check(
      metadata.backchannel_logout_session_supported === true,
      'discovery does not say backchannel_logout_session_supported',
    );
    if (!isLoopback(ctx.options.issuer))
      throw new Skip('the OP is not on this machine: it cannot reach a receiver on 127.0.0.1');
    const endpoint = await endSessionEndpoint(ctx);
    const receiver = await startReceiver();
    try {
      const registered = await ctx.registerClient({
        backchannel_logout_uri: receiver.url,
        backchannel_logout_session_required: true,
      });
      const client = ctx.asClient(registered);
      const { person, tokens } = await ctx.signIn({}, { client });
      const idSid = tokens.claims.sid;
      check(
        typeof idSid === 'string' && idSid,
        'the ID token carries no sid (§2.1), though the client requires it',
      );
      const outcome = await person.proceed(
        await person.open(
          logoutUrl(endpoint, {
            id_token_hint: tokens.idToken,
            post_logout_redirect_uri: ctx.options.postLogoutRedirectUri,
            state: 'bcl-' + Math.random().toString(36).slice(2),
          }),
        ),
      );
      check(outcome.kind === 'callback', 'the logout did not redirect to the post_logout_redirect_uri');

      const received = await receiver.next(WAIT_MS);
      if (!received)
        throw new Failure(`no logout token reached the backchannel_logout_uri within ${WAIT_MS / 1000} s`);
      check(
        received.contentType?.startsWith('application/x-www-form-urlencoded'),
        `the logout token came as ${received.contentType ?? 'no content type'}, not a form (§2.5)`,
      );
      const { jwks } = await ctx.shared.discovery();
      const alg =
        typeof registered.metadata.id_token_signed_response_alg === 'string'
          ? registered.metadata.id_token_signed_response_alg
          : 'RS256';
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(received.token, createLocalJWKSet(jwks as never), {
          issuer: metadata.issuer,
          audience: registered.id,
          algorithms: [alg],
          typ: 'logout+jwt',
        }));
      } catch (err) {
        throw new Failure(`the logout token does not verify (§2.6): ${(err as Error).message}`);
      }
      const now = Math.floor(Date.now() / 1000);
      check(
        typeof payload.iat === 'number' && Math.abs(now - payload.iat) < 300,
        'the logout token has no current iat',
      );
      check(typeof payload.jti === 'string' && payload.jti, 'the logout token has no jti');
      const events = payload.events as Record<string, unknown> | undefined;
      const event = events?.[EVENT];
      check(
        typeof event === 'object' && event !== null && Object.keys(event).length === 0,
        `the logout token's events claim has no ${EVENT} member that is an empty object`,
      );
      check(!('nonce' in payload), 'the logout token carries a nonce (§2.4 prohibits it)');
      check(
        payload.sub === undefined || payload.sub === tokens.claims.sub,
        'the logout token names another sub',
      );
      check(payload.sid === idSid, "the logout token's sid is not the ID token's (§2.4, session required)");
      // One token for one client's logout: a second would be a duplicate delivery.
      await new Promise((r) => setTimeout(r, 1000));
      if (receiver.tokens.length > 1)
        ctx.warn(`the receiver got ${receiver.tokens.length} logout tokens for one logout`);
    } finally {
      await receiver.close();
    }
  },
});
