/**
 * The real browser of the page tests: Debian's Chromium through playwright-core, the axe-core check
 * of a page, and a watcher of what went wrong in a browser context. The HTTP-level browser of the
 * other page tests is test/support/browser.ts.
 */
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium, headless; `extraArgs` come after the usual switches (a host resolver rule, say). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  // launch() gives Chromium a fresh temporary profile (user-data-dir) and removes it on close.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...ARGS, ...extraArgs] });
}

/**
 * axe-core in the page (evaluated over the DevTools protocol, which the page's CSP does not govern):
 * its serious and critical violations, one string each.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  // Expressions as strings: they run in the page, where the DOM exists (this file is typed for Node).
  const results = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] })",
  )) as axe.AxeResults;
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** What went wrong in a browser context, filled in as it happens. */
export interface BrowserProblems {
  /** CSP refusals (console messages) and failed loads. */
  blocked: string[];
  /** Gatehouse's 4xx/5xx answers, as `<status> <path>`. */
  gatehouseErrors: string[];
}

export interface WatchOptions {
  /** Which failed loads count: every one (the default), or only those of URLs under the issuer. */
  failedLoads?: 'all' | 'issuer';
  /** Adds the browser's reason (net::ERR_…) to a failed load. */
  failureReason?: boolean;
}

/** Watches `context`: CSP refusals, failed loads, and the 4xx/5xx answers of the node at `issuer`. */
export function watchBrowser(
  context: BrowserContext,
  issuer: string,
  options: WatchOptions = {},
): BrowserProblems {
  const seen: BrowserProblems = { blocked: [], gatehouseErrors: [] };
  context.on('console', (message) => {
    if (/Content.Security.Policy|Refused to/i.test(message.text())) seen.blocked.push(message.text());
  });
  context.on('requestfailed', (request) => {
    if (options.failedLoads === 'issuer' && !request.url().startsWith(issuer)) return;
    const reason = options.failureReason ? ` ${request.failure()?.errorText}` : '';
    seen.blocked.push(`failed: ${request.url()}${reason}`);
  });
  context.on('response', (response) => {
    if (response.url().startsWith(issuer) && response.status() >= 400) {
      seen.gatehouseErrors.push(`${response.status()} ${new URL(response.url()).pathname}`);
    }
  });
  return seen;
}
