#!/usr/bin/env node
// A tiny relying party for trying Gatehouse's login in a browser: authorization code + PKCE with
// openid-client (a certified relying-party library), then the ID token claims, userinfo and an
// RP-initiated logout. One process, sessions in memory: a demonstration, not a template.
//
//   node examples/rp.mjs            # demo-web against http://localhost:3000, on http://localhost:8080
//
// Environment: ISSUER (http://localhost:3000), CLIENT_ID (demo-web), CLIENT_SECRET (demo-web-secret),
// PORT (8080), SCOPE (openid profile email roles).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import * as oidc from 'openid-client';

const issuer = process.env.ISSUER ?? 'http://localhost:3000';
const clientId = process.env.CLIENT_ID ?? 'demo-web';
const clientSecret = process.env.CLIENT_SECRET ?? 'demo-web-secret';
const port = Number(process.env.PORT ?? 8080);
const scope = process.env.SCOPE ?? 'openid profile email roles';
const base = `http://localhost:${port}`;
const redirectUri = `${base}/callback`;

const config = await oidc.discovery(
  new URL(issuer),
  clientId,
  clientSecret,
  oidc.ClientSecretBasic(clientSecret),
  {
    // The demo issuer is plain http on localhost.
    execute: issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
  },
);

/** @type {Map<string, { pending?: { verifier: string, state: string, nonce: string }, tokens?: any, userinfo?: any }>} */
const sessions = new Map();

/** @param {string} value */
const escape = (value) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

/** @param {string} title @param {string} body */
const page = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
pre{background:#f3f5f8;padding:1rem;overflow:auto;border-radius:6px}a.button{display:inline-block;padding:.6rem 1rem;
background:#1f5fbf;color:#fff;border-radius:6px;text-decoration:none;font-weight:600}</style></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`;

/** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
function sessionOf(req, res) {
  const id = /(?:^|;\s*)rp_session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
  if (id && sessions.has(id)) return sessions.get(id);
  const fresh = randomBytes(16).toString('base64url');
  sessions.set(fresh, {});
  res.setHeader('Set-Cookie', `rp_session=${fresh}; Path=/; HttpOnly; SameSite=Lax`);
  return sessions.get(fresh);
}

/** @param {http.ServerResponse} res @param {string} location */
function redirect(res, location) {
  res.writeHead(303, { Location: location }).end();
}

/** @param {http.ServerResponse} res @param {number} status @param {string} html */
function send(res, status, html) {
  res
    .writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
    .end(html);
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', base);
  const session = sessionOf(req, res);
  try {
    if (url.pathname === '/') {
      if (!session.tokens) {
        return send(
          res,
          200,
          page(
            'Gatehouse example relying party',
            `<p>You are not signed in to this application.</p>
<p><a class="button" href="/login">Sign in with Gatehouse</a></p>
<p>Issuer: <code>${escape(issuer)}</code>, client: <code>${escape(clientId)}</code></p>`,
          ),
        );
      }
      const claims = session.tokens.claims();
      return send(
        res,
        200,
        page(
          `Signed in as ${session.userinfo?.preferred_username ?? claims.sub}`,
          `<h2>ID token claims</h2><pre id="claims">${escape(JSON.stringify(claims, null, 2))}</pre>
<h2>userinfo</h2><pre id="userinfo">${escape(JSON.stringify(session.userinfo, null, 2))}</pre>
<p><a class="button" href="/logout">Sign out</a></p>`,
        ),
      );
    }
    if (url.pathname === '/login') {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      session.pending = { verifier, state, nonce };
      const authorize = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...(url.searchParams.get('prompt') ? { prompt: url.searchParams.get('prompt') } : {}),
      });
      return redirect(res, authorize.href);
    }
    if (url.pathname === '/callback') {
      const pending = session.pending;
      if (!pending)
        return send(res, 400, page('No sign-in in progress', '<p><a href="/">Start again</a></p>'));
      delete session.pending;
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      session.tokens = tokens;
      session.userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims().sub);
      return redirect(res, '/');
    }
    if (url.pathname === '/logout') {
      const idToken = session.tokens?.id_token;
      delete session.tokens;
      delete session.userinfo;
      if (!idToken) return redirect(res, '/');
      const end = oidc.buildEndSessionUrl(config, {
        id_token_hint: idToken,
        post_logout_redirect_uri: `${base}/`,
        state: oidc.randomState(),
      });
      return redirect(res, end.href);
    }
    return send(res, 404, page('Not found', '<p><a href="/">Home</a></p>'));
  } catch (err) {
    // openid-client's errors carry the OAuth error (access_denied when consent is denied, ...).
    const e = /** @type {{ error?: string, error_description?: string, message?: string }} */ (err);
    return send(
      res,
      400,
      page(
        'Sign-in did not complete',
        `<p><code id="error">${escape(e.error ?? 'error')}</code> ${escape(e.error_description ?? e.message ?? '')}</p>
<p><a href="/">Start again</a></p>`,
      ),
    );
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`Example relying party for ${clientId} at ${base} (issuer ${issuer}): open it in a browser.`);
});
