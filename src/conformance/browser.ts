/**
 * A browser without a screen, for the battery's person: a cookie jar honouring Path, redirects
 * followed by hand and stopped at the relying party's registered URIs (the battery never visits the
 * relying party; it reads the code from the Location header, as headless conformance runners do),
 * and forms read from the HTML the OP rendered. Pages are parsed with a few regular expressions:
 * enough for a login form, a consent form and a logout confirmation.
 */

export type Fetch = typeof fetch;

export interface Cookie {
  name: string;
  value: string;
  path: string;
  /** The Set-Cookie attributes as sent (HttpOnly, SameSite, …). */
  attributes: string;
}

/**
 * A cookie jar keyed by name and Path (RFC 6265 §5.1.4 path matching, longest path first), enough
 * for one origin: the OP's.
 */
export class CookieJar {
  private readonly cookies = new Map<string, Cookie>();

  list(): Cookie[] {
    return [...this.cookies.values()];
  }

  /** Drops every cookie (a browser that never signed in), or only those named. */
  clear(names?: string[]): void {
    for (const [key, cookie] of this.cookies)
      if (!names || names.includes(cookie.name)) this.cookies.delete(key);
  }

  /** The Cookie header for a request to `url`. */
  header(url: URL): string {
    return [...this.cookies.values()]
      .filter(
        (c) =>
          url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
      )
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** Takes the Set-Cookie headers of a response to `url`; an empty or expired cookie is removed. */
  store(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const pathAttr = attrs.map((a) => a.trim()).find((a) => /^path=/i.test(a));
      const path = pathAttr ? pathAttr.slice(5) : url.pathname.replace(/\/[^/]*$/, '') || '/';
      const expired = attrs.some((a) => {
        const trimmed = a.trim();
        return (
          (/^expires=/i.test(trimmed) && new Date(trimmed.slice(8)) < new Date()) ||
          /^max-age=(0|-\d+)$/i.test(trimmed)
        );
      });
      const key = `${name};${path}`;
      if (!value || expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path, attributes: attrs.join(';') });
    }
  }
}

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  html: string;
}

export interface FormInput {
  name: string;
  type: string;
  value: string;
}

export interface Form {
  action: string;
  method: string;
  inputs: FormInput[];
  /** Submit buttons: name=value pairs (a button without a name has name ''). */
  buttons: { name: string; value: string; text: string }[];
}

/** Where a navigation ended: a page of the OP, or a redirect away from it (to the relying party). */
export type Outcome = { kind: 'page'; page: Page } | { kind: 'callback'; url: URL; status: number };

export function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  return match ? decodeEntities(match[1] ?? match[2] ?? match[3] ?? '') : undefined;
}

/** The forms of a page with their inputs and submit buttons. */
export function formsOf(page: Page): Form[] {
  const forms: Form[] = [];
  for (const match of page.html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, attrs = '', inner = ''] = match;
    const inputs: FormInput[] = [];
    for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(input[0], 'name');
      if (name)
        inputs.push({
          name,
          type: (attribute(input[0], 'type') ?? 'text').toLowerCase(),
          value: attribute(input[0], 'value') ?? '',
        });
    }
    const buttons = [...inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)]
      .filter((b) => (attribute(b[0], 'type') ?? 'submit').toLowerCase() === 'submit')
      .map((b) => ({
        name: attribute(b[0], 'name') ?? '',
        value: attribute(b[0], 'value') ?? '',
        text: decodeEntities(b[2]!.replace(/<[^>]+>/g, '').trim()),
      }));
    for (const input of inputs.filter((i) => i.type === 'submit'))
      buttons.push({ name: input.name, value: input.value, text: input.value });
    const tag = `<form${attrs}>`;
    forms.push({
      action: new URL(attribute(tag, 'action') || page.url, page.url).toString(),
      method: (attribute(tag, 'method') ?? 'get').toUpperCase(),
      inputs: inputs.filter((i) => i.type !== 'submit'),
      buttons,
    });
  }
  return forms;
}

/** The fields a form sends as it stands: hidden and pre-filled inputs (unchecked boxes aside). */
export function fieldsOf(form: Form): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const input of form.inputs) {
    if ((input.type === 'checkbox' || input.type === 'radio') && !input.value) continue;
    fields[input.name] = input.value;
  }
  return fields;
}

/** The title of a page, else its first heading. */
export function titleOf(page: Page): string {
  const match =
    /<title[^>]*>([\s\S]*?)<\/title>/i.exec(page.html) ?? /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(page.html);
  return match ? decodeEntities(match[1]!.replace(/<[^>]+>/g, '').trim()) : '';
}

/** The visible text of a page, tags stripped and whitespace collapsed. */
export function textOf(page: Page): string {
  return decodeEntities(
    page.html
      .replace(/<head>[\s\S]*<\/head>/i, '')
      .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}

/** The URL without query and fragment: how a redirect target is compared with a registered URI. */
function base(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

export interface RequestInit {
  method?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export class Browser {
  readonly jar = new CookieJar();
  private readonly stops: Set<string>;
  /** Extra request headers sent with every request. */
  readonly headers: Record<string, string> = {
    accept: 'text/html,application/xhtml+xml',
    'accept-language': 'en',
  };

  /**
   * `stopAt`: the relying party's registered URIs; a redirect to one of them, or to anywhere off the
   * OP's `origin`, ends a navigation without being followed.
   */
  constructor(
    stopAt: string[],
    private readonly origin: string,
    private readonly fetchImpl: Fetch = fetch,
  ) {
    this.stops = new Set(stopAt.map((u) => base(new URL(u))));
  }

  /** Forgets every cookie: the next request comes from a browser that never signed in. */
  clear(): void {
    this.jar.clear();
  }

  /** One request, no redirects followed. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
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

  /** Requests `url` and follows redirects until a page, or a redirect to a relying party URI. */
  async go(url: string, init: RequestInit = {}): Promise<Outcome> {
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
      if (this.stops.has(base(next)) || next.origin !== this.origin)
        return { kind: 'callback', url: next, status: res.status };
      current = next.toString();
      res = await this.request(current);
    }
    throw new Error(`more than 20 redirects from ${url}`);
  }

  /** Submits a form with the given fields on top of what it carries. */
  submit(form: Form, fields: Record<string, string>): Promise<Outcome> {
    const values = { ...fieldsOf(form), ...fields };
    if (form.method === 'GET') {
      const url = new URL(form.action);
      for (const [k, v] of Object.entries(values)) url.searchParams.set(k, v);
      return this.go(url.toString());
    }
    return this.go(form.action, { method: form.method, form: values });
  }
}
