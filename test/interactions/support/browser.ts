/**
 * A minimal browser for HTTP-level tests, on the conformance battery's cookie jar and page helpers
 * (src/conformance/browser.ts): manual redirects stopping at the relying party's redirect URIs by
 * prefix, form submission from the HTML the server rendered, and access to the cookies themselves.
 */
import {
  CookieJar,
  decodeEntities,
  textOf,
  type Cookie,
  type Outcome,
  type Page,
} from '../../../src/conformance/browser';
import { oidc } from '../../support/rp';

export { decodeEntities, textOf, type Outcome, type Page };

export interface Form {
  action: string;
  method: string;
  fields: Record<string, string>;
  /** Submit buttons: name=value pairs (a button without a name has name ''). */
  buttons: { name: string; value: string; text: string }[];
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return match ? decodeEntities(match[1]!) : undefined;
}

/** The forms of a page with their hidden inputs and submit buttons. */
export function formsOf(page: Page): Form[] {
  const forms: Form[] = [];
  for (const match of page.html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, attrs = '', inner = ''] = match;
    const fields: Record<string, string> = {};
    for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(input[0], 'name');
      if (name) fields[name] = attribute(input[0], 'value') ?? '';
    }
    const buttons = [...inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)].map((b) => ({
      name: attribute(b[0], 'name') ?? '',
      value: attribute(b[0], 'value') ?? '',
      text: decodeEntities(b[2]!.replace(/<[^>]+>/g, '').trim()),
    }));
    forms.push({
      action: new URL(attribute(`<form${attrs}>`, 'action') ?? page.url, page.url).toString(),
      method: (attribute(`<form${attrs}>`, 'method') ?? 'get').toUpperCase(),
      fields,
      buttons,
    });
  }
  return forms;
}

export class Browser {
  private readonly jar = new CookieJar();
  /** Extra request headers sent with every request (Accept-Language, Sec-Fetch-Site...). */
  readonly headers: Record<string, string> = { accept: 'text/html,application/xhtml+xml' };

  constructor(private readonly stopAt: string[] = []) {}

  cookies(): Cookie[] {
    return this.jar.list();
  }

  /** Drops every cookie (a new browser profile), or only those named. */
  clear(names?: string[]): void {
    this.jar.clear(names);
  }

  /** One request, no redirects followed. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    const cookie = this.jar.header(target);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(target, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    this.jar.store(target, res.headers);
    return res;
  }

  /** Requests `url` and follows redirects until a page, or a redirect to one of the `stopAt` URLs. */
  async go(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Outcome> {
    let res = await this.request(url, init);
    let current = url;
    for (let hops = 0; hops < 20; hops++) {
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) {
        return {
          kind: 'page',
          page: { url: current, status: res.status, headers: res.headers, html: await res.text() },
        };
      }
      await res.arrayBuffer();
      const next = new URL(location, current).toString();
      if (this.stopAt.some((prefix) => next.startsWith(prefix)))
        return { kind: 'callback', url: new URL(next), status: res.status };
      current = next;
      res = await this.request(current);
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Submits a page's form (the one whose action contains `actionPart`) with extra fields. */
  async submit(
    page: Page,
    actionPart: string,
    fields: Record<string, string> = {},
    headers?: Record<string, string>,
  ): Promise<Outcome> {
    const form = formsOf(page).find((f) => f.action.includes(actionPart));
    if (!form) throw new Error(`no form with action ${actionPart} on ${page.url}:\n${page.html}`);
    return this.go(form.action, {
      method: form.method,
      form: { ...form.fields, ...fields },
      ...(headers ? { headers } : {}),
    });
  }
}

export function expectPage(outcome: Outcome): Page {
  if (outcome.kind !== 'page')
    throw new Error(`expected a page, got a redirect to ${outcome.url.toString()}`);
  return outcome.page;
}

export function expectCallback(outcome: Outcome): URL {
  if (outcome.kind !== 'callback') {
    throw new Error(
      `expected a redirect to the relying party, got ${outcome.page.status} at ${outcome.page.url}:\n${textOf(outcome.page)}`,
    );
  }
  return outcome.url;
}

/** An authorization request as a relying party builds it with openid-client (PKCE S256, state, nonce). */
export async function authorizationRequest(
  rp: oidc.Configuration,
  params: Record<string, string>,
): Promise<{ url: string; verifier: string; state: string; nonce: string }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(rp, {
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url: url.toString(), verifier, state, nonce };
}
