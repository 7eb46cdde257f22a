/**
 * Discovery advertises how the provider says a sign-in was made (OpenID Connect Discovery 1.0 §3):
 * `acr_values_supported` with both of Gatehouse's levels, one factor first, and `acr` and `amr`
 * (RFC 8176) among `claims_supported`, since every ID token carries them. A relying party reads them
 * to know that `acr_values=urn:gatehouse:acr:mfa` is a request this provider understands.
 */
import { ACR_ONE_FACTOR, ACR_TWO_FACTORS } from '../../src/accounts/mfa/methods';
import { discover } from '../support/rp';
import { DEMO_WEB } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/server';

let node: TestServer;

beforeAll(async () => {
  node = await startTestServer();
});

afterAll(async () => {
  await node?.stop();
});

describe('discovery', () => {
  it('lists both acr values, and acr and amr among the claims', async () => {
    const res = await fetch(`${node.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const meta = (await res.json()) as Record<string, unknown>;
    expect(meta.acr_values_supported).toEqual([ACR_ONE_FACTOR, ACR_TWO_FACTORS]);
    expect(meta.claims_supported).toEqual(expect.arrayContaining(['acr', 'amr']));
  });

  it('is what a certified relying party reads', async () => {
    const rp = await discover(node.issuer, DEMO_WEB.id, DEMO_WEB.secret);
    expect(rp.serverMetadata().acr_values_supported).toEqual([
      'urn:gatehouse:acr:pwd',
      'urn:gatehouse:acr:mfa',
    ]);
  });
});
