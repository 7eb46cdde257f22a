/**
 * Sessions live in the database, not in a node: a browser session survives a restart of the server,
 * and (on PostgreSQL, where two nodes can share one database) one node continues what another began.
 */
import { usingPostgres } from '../support/database';
import { startTestServer } from '../support/server';
import { authorizationRequest, expectCallback, expectPage } from '../support/browser';
import { ALICE, DEMO_WEB } from '../support/fixtures';
import { demoWeb, newBrowser, redeem, signIn, signInAndAllow, start } from './support/flow';

it('a signed-in session and its consent survive a restart of the server', async () => {
  const first = await startTestServer({ persistent: true });
  const { database } = first;
  const port = Number(new URL(first.url).port);
  try {
    const browser = newBrowser();
    const rp = await demoWeb(first.issuer);
    const started = await start(browser, rp, DEMO_WEB.redirectUri);
    await redeem(rp, await signInAndAllow(browser, started), started);
    await first.close();

    // Same database, same issuer, a new process state: no login page, no consent page.
    const second = await startTestServer({ database, port });
    try {
      const again = await demoWeb(second.issuer);
      const silent = await start(browser, again, DEMO_WEB.redirectUri, { prompt: 'none' });
      const tokens = await redeem(again, expectCallback(silent.outcome), silent);
      expect(tokens.claims()!.sub).toBe('6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f0002');
    } finally {
      await second.close();
    }
  } finally {
    await first.close();
    await database.drop();
  }
});

(usingPostgres ? it : it.skip)('two nodes on one database continue each other’s sign-in', async () => {
  const a = await startTestServer();
  // Node B serves the same issuer on another port (as behind a load balancer).
  const b = await startTestServer({ database: a.database, env: { ISSUER: a.issuer } });
  try {
    const rp = await demoWeb(a.issuer);
    const browser = newBrowser();
    // The authorization request goes to A, the login form is posted to B.
    const started = await start(browser, rp, DEMO_WEB.redirectUri);
    const login = expectPage(started.outcome);
    const onB = { ...login, url: login.url.replace(a.url, b.url) };
    let outcome = await signIn(browser, onB, ALICE.username, ALICE.password);
    // B's answer sends the browser back to the issuer (A), which shows the consent page; allow on B.
    const consent = expectPage(outcome);
    expect(consent.url.startsWith(`${a.issuer}/interaction/`)).toBe(true);
    outcome = await browser.submit({ ...consent, url: consent.url.replace(a.issuer, b.url) }, '/confirm', {
      decision: 'allow',
    });
    // The code from A's redirect is redeemed at A's token endpoint; a silent request on B finds the session.
    await redeem(rp, expectCallback(outcome), started);
    const request = await authorizationRequest(rp, {
      redirect_uri: DEMO_WEB.redirectUri,
      scope: 'openid profile',
      prompt: 'none',
    });
    const outcomeOnB = await browser.go(request.url.replace(a.issuer, b.url));
    const tokens = await redeem(rp, expectCallback(outcomeOnB), { ...request, outcome: outcomeOnB });
    expect(tokens.claims()!.sub).toBe('6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f0002');
  } finally {
    await b.close();
    await a.stop();
  }
});
