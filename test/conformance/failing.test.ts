/**
 * The battery cannot pass vacuously: a fake OP with a bad discovery document and JWKS fails the
 * config plan and the code flow, with exit code 1 from the CLI. A real node behind a proxy that
 * forgets X-Forwarded-Proto (a classic deployment mistake) once failed discovery over https; with an
 * https issuer the node now takes the scheme from the issuer, and the same proxy passes.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runBattery } from '../../src/conformance/battery';
import { startTestServer, freePort, type TestServer } from '../support/server';
import { runCli } from './cli';
import { demoOptions, outcomes } from './support';
import { selfSignedCertificate, startTerminator, type Certificate, type Terminator } from './tls';

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
      demoOptions(issuer, {
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

describe('a node with an https issuer behind a proxy that forgets X-Forwarded-Proto', () => {
  let certificate: Certificate;
  let node: TestServer;
  let terminator: Terminator;
  let issuer: string;

  beforeAll(async () => {
    certificate = selfSignedCertificate();
    const port = await freePort();
    issuer = `https://127.0.0.1:${port}`;
    node = await startTestServer({ env: { PROXY: 'true', ISSUER: issuer } });
    terminator = await startTerminator(certificate, Number(new URL(node.url).port), {
      port,
      forwardProto: false,
    });
  }, 60_000);

  afterAll(async () => {
    await terminator?.close();
    await node?.stop();
    if (certificate) fs.rmSync(certificate.dir, { recursive: true, force: true });
  });

  it('passes discovery: an https issuer makes every endpoint https whatever the hop; the CLI exits 0', async () => {
    const { code, stdout, stderr } = await runCli(['conformance', '--issuer', issuer, '--plan', 'config'], {
      NODE_EXTRA_CA_CERTS: certificate.certFile,
    });
    expect(stdout.split('\n').slice(0, 2)).toEqual([
      'PASS    oidcc-discovery-endpoint-verification',
      'PASS    oidcc-discovery-jwks-verification',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
