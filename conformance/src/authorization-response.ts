/**
 * Where the authorization response's parameters are, by response mode (OAuth 2.0 Multiple Response
 * Type Encoding Practices §2.1, OAuth 2.0 Form Post Response Mode §2): in the query of the redirect
 * (response types with code only, the default), in its fragment (the default whenever a token or an
 * ID token comes from the authorization endpoint), or in the fields of the form a page posts to the
 * client on load (form_post). The battery reads them as a browser would hand them to the client:
 * the Location header, or the form as the HTML parser builds it, never the HTML by hand.
 */
import type { Outcome } from './browser';
import { formsOf, type Form, type Page } from './html';

export type ResponseMode = 'query' | 'fragment' | 'form_post';

export interface AuthorizationResponse {
  mode: ResponseMode;
  /** The client URI the response went to, without the response's parameters. */
  target: URL;
  params: URLSearchParams;
}

/** The URL without query and fragment, as redirect URIs are compared here. */
function base(url: string | URL): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** The form of `page` that posts the response to one of the client's `uris`, if it is one. */
export function responseForm(page: Page, uris: string[]): Form | undefined {
  const targets = new Set(uris.map(base));
  return formsOf(page).find((f) => f.method === 'POST' && targets.has(base(f.action)));
}

/**
 * The authorization response an outcome carries: a redirect to the client (query or fragment), or
 * a form_post page posting to one of `uris`; undefined when the outcome is neither.
 */
export function responseOf(outcome: Outcome, uris: string[]): AuthorizationResponse | undefined {
  if (outcome.kind === 'callback') {
    const target = new URL(outcome.url);
    const fragment = new URLSearchParams(target.hash.slice(1));
    target.hash = '';
    if ([...fragment.keys()].length) return { mode: 'fragment', target, params: fragment };
    const params = new URLSearchParams(target.search);
    target.search = '';
    return { mode: 'query', target, params };
  }
  const form = responseForm(outcome.page, uris);
  if (!form) return undefined;
  return { mode: 'form_post', target: new URL(form.action), params: new URLSearchParams(form.fields) };
}

/** The mode a request asks for: response_mode, else the response type's default (Multiple Response Types §5). */
export function expectedMode(params: Record<string, string>): ResponseMode {
  const mode = params.response_mode;
  if (mode === 'form_post' || mode === 'fragment' || mode === 'query') return mode;
  const types = (params.response_type ?? 'code').split(' ');
  return types.includes('token') || types.includes('id_token') ? 'fragment' : 'query';
}
