/**
 * The whole battery against a real node on the suite's database (PGlite, or PostgreSQL with
 * DATABASE_URL): every module passes, or shows only the outcome its standard reason allows.
 */
import { MODULES, runBattery, type BatteryReport } from '@gatehouse/conformance';
import { startTestServer, type TestServer } from '../support/server';
import { demoOptions, registerPostClient, unexpected } from './support';

let node: TestServer;
let report: BatteryReport;

beforeAll(async () => {
  node = await startTestServer();
  await registerPostClient(node);
  report = await runBattery(demoOptions(node.issuer));
}, 120_000);

afterAll(async () => {
  await node?.stop();
});

describe('gatehouse conformance against a Gatehouse node', () => {
  it('runs every module of the config, basic and logout plans, in order', () => {
    expect(report.modules.map((m) => m.name)).toEqual(MODULES.map((m) => m.name));
    expect(report.plans).toEqual(['config', 'basic', 'logout']);
  });

  it('passes every module, or skips or warns only for the standard reasons', () => {
    expect(unexpected(report.modules, false)).toEqual([]);
    expect(report.summary.FAIL).toBe(0);
    // oidcc-server-client-secret-post ran with the registered client_secret_post client.
    expect(report.modules.find((m) => m.name === 'oidcc-server-client-secret-post')?.status).toBe('PASS');
  });

  it('signs in through the real login and consent pages and records them', () => {
    const server = report.modules.find((m) => m.name === 'oidcc-server')!;
    expect(server.pages.map((p) => `${p.kind} ${p.status} ${p.title}`)).toEqual([
      'login 200 Sign in · Gatehouse',
      'consent 200 Allow Demo Web App to use your account? · Gatehouse',
    ]);
    for (const page of server.pages) expect(page.url).toMatch(new RegExp(`^${node.issuer}/interaction/`));
    // prompt=login and max_age=1 show the login page a second time.
    for (const name of ['oidcc-prompt-login', 'oidcc-max-age-1'])
      expect(
        report.modules.find((m) => m.name === name)!.pages.filter((p) => p.kind === 'login'),
      ).toHaveLength(2);
    // prompt=none shows nothing at all.
    expect(report.modules.find((m) => m.name === 'oidcc-prompt-none-not-logged-in')!.pages).toEqual([]);
  });

  it('refuses what it must with an error page, never a redirect', () => {
    const registered = report.modules.find((m) => m.name === 'oidcc-ensure-registered-redirect-uri')!;
    expect(registered.pages.map((p) => `${p.kind} ${p.status}`)).toEqual(['other 400']);
    const badLogout = report.modules.find(
      (m) => m.name === 'oidcc-rp-initiated-logout-bad-post-logout-redirect-uri',
    )!;
    expect(badLogout.pages.at(-1)).toMatchObject({ kind: 'other', status: 400 });
  });
});
