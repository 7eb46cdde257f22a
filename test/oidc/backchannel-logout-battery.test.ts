/**
 * The battery's back-channel logout module (conformance/src/modules/oidcc-backchannel-rp-initiated-logout.ts)
 * against a real node: it registers its own client with a registration token, signs in, logs out
 * and checks the logout token its receiver got. Run directly, so that it is proven before the
 * battery's plan list picks it up.
 */
import { ModuleContext, Shared } from '../../conformance/src/context';
import backchannel from '../../conformance/src/modules/oidcc-backchannel-rp-initiated-logout';
import { createRegistrationToken } from '../../src/oidc/registration-tokens';
import { ALICE, DEMO_WEB } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/server';

let node: TestServer;

beforeAll(async () => {
  node = await startTestServer();
});

afterAll(() => node?.stop());

function context(registrationToken?: string): ModuleContext {
  return new ModuleContext(
    new Shared({
      issuer: node.issuer,
      client: { id: DEMO_WEB.id, secret: DEMO_WEB.secret },
      account: { username: ALICE.username, password: ALICE.password },
      redirectUri: DEMO_WEB.redirectUri,
      postLogoutRedirectUri: DEMO_WEB.postLogoutRedirectUri,
      plans: ['backchannel'],
      ...(registrationToken ? { registrationToken } : {}),
    }),
  );
}

describe('oidcc-backchannel-rp-initiated-logout', () => {
  it('passes against Gatehouse, with no warning', async () => {
    const { token } = await createRegistrationToken(node.provider);
    const ctx = context(token);
    try {
      await backchannel.run(ctx);
    } finally {
      await ctx.cleanup();
    }
    expect(ctx.warnings).toEqual([]);
  });

  it('skips without a registration token', async () => {
    await expect(backchannel.run(context())).rejects.toMatchObject({
      message: expect.stringContaining('registration-token'),
    });
  });
});
