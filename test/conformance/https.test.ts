/**
 * The battery over https, through the CLI: the app behind a local TLS terminator (self-signed
 * certificate, X-Forwarded-Proto/Host) with PROXY=true and an https ISSUER, so the https checks are
 * real; the CLI trusts the certificate through NODE_EXTRA_CA_CERTS.
 */
import type { ModuleResult } from '@gatehouse/conformance';
import { runCli } from '../support/cli';
import { startHttpsNode, type HttpsNode } from './https-node';
import { POST_CLIENT, registerPostClient, registrationToken, unexpected } from './support';

let https: HttpsNode;
let issuer: string;
let certificate: HttpsNode['certificate'];
let token: string;

beforeAll(async () => {
  https = await startHttpsNode({
    async prepare(node) {
      await registerPostClient(node);
      token = await registrationToken(node);
    },
  });
  ({ issuer, certificate } = https);
}, 60_000);

afterAll(async () => {
  await https?.close();
});

const flags = () => [
  'conformance',
  '--issuer',
  issuer,
  '--post-client-id',
  POST_CLIENT.id,
  '--post-client-secret',
  POST_CLIENT.secret,
];

describe('gatehouse conformance over https', () => {
  it('passes every module of every plan, with no http warning, and exits 0', async () => {
    const { code, stdout, stderr } = await runCli(
      [...flags(), '--plan', 'all', '--registration-token', token, '--json'],
      { NODE_EXTRA_CA_CERTS: certificate.certFile },
      { timeoutMs: 120_000 },
    );
    expect(stderr).toBe('');
    const report = JSON.parse(stdout) as {
      issuer: string;
      summary: Record<string, number>;
      modules: (Pick<ModuleResult, 'name' | 'status' | 'reason'> & { pages: { url: string }[] })[];
    };
    expect(report.issuer).toBe(issuer);
    expect(unexpected(report.modules, true)).toEqual([]);
    // The plans after logout ran with clients registered through --registration-token.
    expect(report.modules.find((m) => m.name === 'oidcc-server-code-id-token-token')?.status).toBe('PASS');
    expect(report.modules.find((m) => m.name === 'oidcc-discovery-endpoint-verification')?.status).toBe(
      'PASS',
    );
    // The person really went through the pages over https.
    const pages = report.modules.flatMap((m) => m.pages);
    expect(pages.length).toBeGreaterThan(40);
    for (const page of pages) expect(page.url.startsWith(`${issuer}/`)).toBe(true);
    expect(code).toBe(0);
  }, 120_000);

  it('fails, and exits 1, when the certificate is not trusted', async () => {
    const { code, stdout, stderr } = await runCli([...flags(), '--plan', 'config'], {});
    expect(stdout).toMatch(
      /^FAIL {4}oidcc-discovery-endpoint-verification: discovery document at https:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration unreachable: fetch failed \(self-signed certificate[^)]*\)$/m,
    );
    expect(stdout).toMatch(
      /^2 modules against https:\/\/127\.0\.0\.1:\d+ in [\d.]+ s: 0 passed, 0 warnings, 2 failed, 0 skipped$/m,
    );
    expect(stderr).toBe('gatehouse: 2 conformance modules failed\n');
    expect(code).toBe(1);
  });

  it('skips the registering plans, with the reason, without --registration-token', async () => {
    const { code, stdout, stderr } = await runCli([...flags(), '--plan', 'dynamic,implicit'], {
      NODE_EXTRA_CA_CERTS: certificate.certFile,
    });
    const lines = stdout.trim().split('\n');
    expect(lines.slice(0, -1).length).toBe(16);
    for (const line of lines.slice(0, -1))
      expect(line).toMatch(/^SKIPPED [a-zA-Z-]+: no --registration-token \(an initial access token\) given$/);
    expect(lines.at(-1)).toMatch(
      /^16 modules against https:\/\/127\.0\.0\.1:\d+ in [\d.]+ s: 0 passed, 0 warnings, 0 failed, 16 skipped$/,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('refuses an unknown plan', async () => {
    const { code, stderr } = await runCli([...flags(), '--plan', 'basic,nope'], {});
    expect(stderr).toMatch(
      /--plan <plan>' argument 'basic,nope' is invalid\. config, basic, logout, dynamic, formpost, implicit, hybrid, backchannel, device, par, dpop, resource, token-exchange or all/,
    );
    expect(code).toBe(2);
  });
});
