/**
 * A browser without a screen, for the battery's person and for page tests: a cookie jar
 * (tough-cookie), redirects followed by hand and stopped where the caller says (the battery never
 * visits the relying party; it reads the code from the Location header, as headless conformance
 * runners do), and forms read from the HTML the OP rendered (parse5).
 */
import { CookieJar, type Cookie } from './cookie-jar';
import { formsOf, type Form, type Page } from './html';

export type Fetch = typeof fetch;

/** Where a navigation ended: a page of the OP, or a redirect away from it (to the relying party). */
export type Outcome = { kind: 'page'; page: Page } | { kind: 'callback'; url: URL; status: number };

/** Decides whether a redirect to `url` ends a navigation instead of being followed. */
export type StopRule = (url: URL) => boolean;

/** The URL without query and fragment: how a redirect target is compared with a registered URI. */
function base(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * Stops at the relying party's registered URIs (compared without query and fragment) and at any
 * redirect off the OP's `origin`.
 */
export function atRegisteredUris(uris: string[], origin: string): StopRule {
  const stops = new Set(uris.map((u) => base(new URL(u))));
  return (url) => stops.has(base(url)) || url.origin !== origin;
}

/** Stops at any URL that starts with one of `prefixes`; every other redirect is followed. */
export function atPrefixes(prefixes: string[]): StopRule {
  return (url) => prefixes.some((prefix) => url.toString().startsWith(prefix));
}

/** The form of `page` whose action contains `action`. */
function formOn(page: Page, action: string): Form {
  const form = formsOf(page).find((f) => f.action.includes(action));
  if (!form) throw new Error(`no form with action ${action} on ${page.url}:\n${page.html}`);
  return form;
}

export interface BrowserOptions {
  stopAt: StopRule;
  fetch?: Fetch;
  /** Request headers sent with every request besides `Accept: text/html,…`. */
  headers?: Record<string, string>;
}

export interface NavigationInit {
  method?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export class Browser {
  readonly jar = new CookieJar();
  /** Request headers sent with every request (Accept-Language, Sec-Fetch-Site, …); change at will. */
  readonly headers: Record<string, string>;
  private readonly stopAt: StopRule;
  private readonly fetchImpl: Fetch;

  constructor(options: BrowserOptions) {
    this.stopAt = options.stopAt;
    this.fetchImpl = options.fetch ?? fetch;
    this.headers = { accept: 'text/html,application/xhtml+xml', ...options.headers };
  }

  /** The cookies held, for every host. */
  cookies(): Cookie[] {
    return this.jar.list();
  }

  /** Forgets every cookie (a browser that never signed in), or only those named. */
  clear(names?: string[]): void {
    this.jar.clear(names);
  }

  /** One request, no redirects followed. */
  async request(url: string, init: NavigationInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    const cookie = this.jar.header(target);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await this.fetchImpl(target, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    this.jar.store(target, res.headers);
    return res;
  }

  /** Requests `url` and follows redirects until a page, or a redirect the stop rule ends. */
  async go(url: string, init: NavigationInit = {}): Promise<Outcome> {
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
      const next = new URL(location, current);
      if (this.stopAt(next)) return { kind: 'callback', url: next, status: res.status };
      current = next.toString();
      res = await this.request(current);
    }
    throw new Error(`more than 20 redirects from ${url}`);
  }

  /**
   * Submits a form with `fields` on top of what it carries: the form itself, or the form of `page`
   * whose action contains `action`.
   */
  submit(form: Form, fields?: Record<string, string>, headers?: Record<string, string>): Promise<Outcome>;
  submit(
    page: Page,
    action: string,
    fields?: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<Outcome>;
  async submit(
    target: Form | Page,
    second?: string | Record<string, string>,
    third?: Record<string, string>,
    fourth?: Record<string, string>,
  ): Promise<Outcome> {
    const [form, fields, headers] =
      'html' in target
        ? [formOn(target, second as string), third, fourth]
        : [target, second as Record<string, string> | undefined, third];
    const values = { ...form.fields, ...fields };
    if (form.method === 'GET') {
      const url = new URL(form.action);
      for (const [k, v] of Object.entries(values)) url.searchParams.set(k, v);
      return this.go(url.toString(), headers ? { headers } : {});
    }
    return this.go(form.action, { method: form.method, form: values, ...(headers ? { headers } : {}) });
  }
}
