/**
 * The whole battery, every plan, against a real node on the suite's database (PGlite, or PostgreSQL
 * with DATABASE_URL): every module passes, or shows only the outcome its standard reason allows.
 * The plans after logout register their clients (RFC 7591) with an initial access token made here.
 */
import { MODULES, PLANS, runBattery, type BatteryReport } from '@gatehouse/conformance';
import { PLANS as CLI_PLANS } from '../../src/cli/commands/conformance-battery';
import { startTestServer, type TestServer } from '../support/server';
import {
  BATTERY_ENV,
  demoOptions,
  outcomes,
  registerPostClient,
  registrationToken,
  unexpected,
} from './support';

let node: TestServer;
let report: BatteryReport;
let clientsBefore: number;

const byName = (name: string) => report.modules.find((m) => m.name === name)!;

beforeAll(async () => {
  node = await startTestServer({ env: BATTERY_ENV });
  await registerPostClient(node);
  clientsBefore = (await node.services.clients.list()).length;
  report = await runBattery(
    demoOptions(node.issuer, { plans: [...PLANS], registrationToken: await registrationToken(node) }),
  );
}, 180_000);

afterAll(async () => {
  await node?.stop();
});

describe('gatehouse conformance against a Gatehouse node', () => {
  it('runs every module of every plan, in order', () => {
    expect(report.modules.map((m) => m.name)).toEqual(MODULES.map((m) => m.name));
    expect(report.plans).toEqual([...PLANS]);
    // The command offers the package's plans, in its order.
    expect(CLI_PLANS).toEqual(PLANS);
  });

  it('passes every module, or skips or warns only for the standard reasons', () => {
    expect(unexpected(report.modules, false)).toEqual([]);
    expect(report.summary.FAIL).toBe(0);
    // oidcc-server-client-secret-post ran with the registered client_secret_post client.
    expect(byName('oidcc-server-client-secret-post').status).toBe('PASS');
  });

  it('runs the Dynamic OP, Form Post, Implicit and Hybrid plans with clients it registered', () => {
    const plans = ['dynamic', 'formpost', 'implicit', 'hybrid'];
    const results = report.modules.filter((m) => plans.includes(m.plan));
    expect(outcomes(results)).toEqual([
      'PASS oidcc-server-dynamic',
      "WARNING oidcc-registration-logo-uri: no page the person saw shows the client's logo_uri (an image; the suite asks a reviewer)",
      'PASS oidcc-registration-policy-uri',
      'PASS oidcc-registration-tos-uri',
      'PASS oidcc-registration-jwks',
      'PASS oidcc-redirect-uri-query-OK',
      'PASS oidcc-redirect-uri-query-mismatch',
      'PASS oidcc-redirect-uri-query-added',
      'PASS oidcc-redirect-uri-regfrag',
      'PASS oidcc-ensure-redirect-uri-in-authorization-request',
      'PASS client-registration-requires-token',
      'PASS client-registration-management',
      'PASS oidcc-server-form-post',
      'PASS oidcc-server-form-post-code-id-token',
      'PASS oidcc-server-form-post-id-token-token',
      'PASS oidcc-server-id-token',
      'PASS oidcc-server-id-token-token',
      'PASS oidcc-ensure-request-without-nonce-fails-id-token',
      'PASS oidcc-ensure-request-without-nonce-fails-id-token-token',
      'PASS oidcc-server-code-id-token',
      'PASS oidcc-server-code-token',
      'PASS oidcc-server-code-id-token-token',
      'PASS oidcc-ensure-request-without-nonce-fails-code-id-token',
      'PASS oidcc-ensure-request-without-nonce-fails-code-id-token-token',
    ]);
    // The registered clients' flows went through the real login and consent pages: a third-party
    // client is asked about the first time (the run's shared code-flow client in
    // oidcc-server-dynamic, its client for every response type in the first form post hybrid
    // module); the consent is remembered for the next module with the same client.
    const kinds = (name: string) => byName(name).pages.map((p) => p.kind);
    expect(kinds('oidcc-server-dynamic')).toEqual(['login', 'consent']);
    expect(kinds('oidcc-server-form-post')).toEqual(['login', 'other']);
    expect(kinds('oidcc-server-form-post-code-id-token')).toEqual(['login', 'consent', 'other']);
    expect(kinds('oidcc-server-code-id-token-token')).toEqual(['login']);
    // The form_post response is a page of the OP (its form read, not submitted), titled as the
    // library renders it.
    expect(byName('oidcc-server-form-post').pages.at(-1)).toMatchObject({
      status: 200,
      title: 'Submitting Callback',
    });
    // A client of its own for each registration module.
    expect(kinds('oidcc-registration-jwks')).toEqual(['login', 'consent']);
  });

  it('deletes the clients it registered when the run ends', async () => {
    expect((await node.services.clients.list()).length).toBe(clientsBefore);
  });

  it('passes the other profiles: back-channel logout, device, PAR, DPoP, resource indicators, token exchange', () => {
    const others = ['backchannel', 'device', 'par', 'dpop', 'resource', 'token-exchange'];
    const results = report.modules.filter((m) => others.includes(m.plan));
    expect(results.length).toBeGreaterThanOrEqual(4);
    expect(outcomes(results)).toEqual(results.map((m) => `PASS ${m.name}`));
  });

  it('signs in through the real login and consent pages and records them', () => {
    const server = byName('oidcc-server');
    expect(server.pages.map((p) => `${p.kind} ${p.status} ${p.title}`)).toEqual([
      'login 200 Sign in · Gatehouse',
      'consent 200 Allow Demo Web App to use your account? · Gatehouse',
    ]);
    for (const page of server.pages) expect(page.url).toMatch(new RegExp(`^${node.issuer}/interaction/`));
    // prompt=login and max_age=1 show the login page a second time.
    for (const name of ['oidcc-prompt-login', 'oidcc-max-age-1'])
      expect(byName(name).pages.filter((p) => p.kind === 'login')).toHaveLength(2);
    // prompt=none shows nothing at all.
    expect(byName('oidcc-prompt-none-not-logged-in').pages).toEqual([]);
  });

  it('refuses what it must with an error page, never a redirect', () => {
    expect(byName('oidcc-ensure-registered-redirect-uri').pages.map((p) => `${p.kind} ${p.status}`)).toEqual([
      'other 400',
    ]);
    expect(byName('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri').pages.at(-1)).toMatchObject({
      kind: 'other',
      status: 400,
    });
    for (const name of [
      'oidcc-redirect-uri-query-mismatch',
      'oidcc-redirect-uri-query-added',
      'oidcc-ensure-redirect-uri-in-authorization-request',
    ])
      expect(byName(name).pages.map((p) => `${p.kind} ${p.status}`)).toEqual(['other 400']);
  });
});
