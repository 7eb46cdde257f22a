/**
 * Error pages for browsers: unknown and expired interactions, bad requests from relying parties and
 * unknown routes all answer a readable page with the OAuth error code, and never a stack trace.
 */
import type { oidc } from '../support/rp';
import type { TestServer } from '../support/server';
import { expectPage, textOf, type Page } from '../support/browser';
import { ALICE, DEMO_WEB } from '../support/fixtures';
import { startWithDemoWeb, newBrowser, signIn, start } from './support/flow';

let node: TestServer;
let web: oidc.Configuration;

beforeAll(async () => {
  ({ node, web } = await startWithDemoWeb({ INTERACTION_TTL: '2' }));
});

afterAll(() => node?.stop());

function expectErrorPage(page: Page, status: number, code: string): string {
  expect(page.status).toBe(status);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(page.html).toContain(`<code class="error-code">${code}</code>`);
  expect(page.html).toContain('<link rel="stylesheet" href="/assets/gatehouse.css">');
  expect(page.html).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+|\.js:\d+|Error:/);
  const text = textOf(page);
  expect(text).toContain('Something went wrong');
  return text;
}

describe('error pages', () => {
  it('an unknown interaction', async () => {
    const page = expectPage(await newBrowser().go(`${node.issuer}/interaction/no-such-interaction`));
    const text = expectErrorPage(page, 400, 'invalid_request');
    expect(text).toContain('This sign-in page has expired or was opened in another browser.');
  });

  it('an expired interaction', async () => {
    const browser = newBrowser();
    const started = await start(browser, web, DEMO_WEB.redirectUri);
    const login = expectPage(started.outcome);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expectErrorPage(expectPage(await browser.go(login.url)), 400, 'invalid_request');
    const text = expectErrorPage(
      expectPage(await signIn(browser, login, ALICE.username, ALICE.password)),
      400,
      'invalid_request',
    );
    expect(text).toContain('This sign-in page has expired');
  });

  it('an unknown client', async () => {
    const page = expectPage(
      await newBrowser().go(
        `${node.issuer}/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fx.example%2F`,
      ),
    );
    const text = expectErrorPage(page, 400, 'invalid_client');
    expect(text).toContain('The application is not known to Gatehouse');
  });

  it('a redirect URI the client has not registered', async () => {
    const page = expectPage(
      await newBrowser().go(
        `${node.issuer}/auth?client_id=demo-web&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fevil.example%2Fcb`,
      ),
    );
    expectErrorPage(page, 400, 'invalid_redirect_uri');
  });

  it('an unknown route', async () => {
    const page = expectPage(await newBrowser().go(`${node.issuer}/no/such/page`));
    expectErrorPage(page, 404, 'invalid_request');
  });

  it('in the language the browser prefers', async () => {
    const browser = newBrowser();
    browser.headers['accept-language'] = 'de-DE,de;q=0.9';
    const page = expectPage(await browser.go(`${node.issuer}/no/such/page`));
    expect(page.html).toContain('<html lang="de">');
    expect(textOf(page)).toContain('Etwas ist schiefgelaufen');
  });

  it('JSON clients still get the JSON error', async () => {
    const res = await fetch(`${node.issuer}/no/such/page`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'unrecognized route' });
  });
});
