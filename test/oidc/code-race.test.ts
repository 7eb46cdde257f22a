/**
 * An authorization code redeemed by parallel requests issues tokens once (RFC 6749 §4.1.2: the
 * code is for one use): the adapter's consumption is a compare-and-set, so a loser that found the
 * code unused like the winner still gets invalid_grant.
 */
import { DEMO_WEB } from '../support/fixtures';
import { tokenRequest } from '../support/http';
import type { oidc } from '../support/rp';
import type { TestServer } from '../support/server';
import { newBrowser, signInAndAllow, start, startWithDemoWeb } from '../interactions/support/flow';

let node: TestServer;
let web: oidc.Configuration;

beforeAll(async () => {
  ({ node, web } = await startWithDemoWeb());
});

afterAll(() => node?.stop());

it('issues tokens for one of 10 parallel redemptions of one code', async () => {
  const browser = newBrowser();
  const started = await start(browser, web, DEMO_WEB.redirectUri);
  const callback = await signInAndAllow(browser, started);
  const code = callback.searchParams.get('code')!;
  const redeem = () =>
    tokenRequest(
      node.issuer,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: DEMO_WEB.redirectUri,
        code_verifier: started.verifier,
      },
      DEMO_WEB,
    );
  const answers = await Promise.all(Array.from({ length: 10 }, redeem));
  expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
  for (const a of answers.filter((x) => x.status !== 200)) {
    expect(a.status).toBe(400);
    expect(a.body.error).toBe('invalid_grant');
  }
});
