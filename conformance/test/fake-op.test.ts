/**
 * The battery cannot pass vacuously: a fake OP with a bad discovery document and JWKS fails the
 * config plan and the code flow, each module with its reason.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runBattery, type BatteryOptions, type ModuleResult } from '../src';

function options(issuer: string, extra: Partial<BatteryOptions>): BatteryOptions {
  return {
    issuer,
    client: { id: 'client', secret: 'client-secret' },
    account: { username: 'tester', password: 'tester-password' },
    redirectUri: 'http://localhost:8080/callback',
    postLogoutRedirectUri: 'http://localhost:8080/',
    plans: ['config', 'basic', 'logout'],
    ...extra,
  };
}

/** Every module's outcome as "STATUS name: reason", for one readable assertion. */
function outcomes(results: Pick<ModuleResult, 'name' | 'status' | 'reason'>[]): string[] {
  return results.map((r) => `${r.status} ${r.name}${r.reason ? `: ${r.reason}` : ''}`);
}

describe('a fake OP with a bad discovery document and JWKS', () => {
  let server: http.Server;
  let issuer: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const json = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/.well-known/openid-configuration')
        return json({
          issuer,
          authorization_endpoint: `${issuer}/auth`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['HS256'],
          scopes_supported: ['openid'],
          claims_supported: ['sub'],
          code_challenge_methods_supported: ['plain'],
        });
      if (req.url === '/jwks')
        return json({
          keys: [
            { kty: 'RSA', kid: 'a', n: 'AQAB', e: 'AQAB' },
            { kty: 'oct', kid: 'a', k: 'c2VjcmV0' },
          ],
        });
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>Not found</h1>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails discovery, the JWKS and the code flow, each with its reason', async () => {
    const report = await runBattery(
      options(issuer, {
        plans: ['config', 'basic'],
        only: [
          'oidcc-discovery-endpoint-verification',
          'oidcc-discovery-jwks-verification',
          'oidcc-server',
          'oidcc-prompt-none-not-logged-in',
        ],
      }),
    );
    expect(outcomes(report.modules)).toEqual([
      'FAIL oidcc-discovery-endpoint-verification: id_token_signing_alg_values_supported does not include RS256',
      'FAIL oidcc-discovery-jwks-verification: kid a appears twice',
      expect.stringMatching(
        /^FAIL oidcc-server: the authorization request ended on a page \(404 http:\/\/127\.0\.0\.1:\d+\/auth\?.*: Not found\) instead of a redirect to the client$/,
      ),
      'FAIL oidcc-prompt-none-not-logged-in: prompt=none showed a page instead of redirecting back',
    ]);
    expect(report.summary).toEqual({ PASS: 0, WARNING: 0, FAIL: 4, SKIPPED: 0 });
  });
});
