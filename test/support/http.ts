/**
 * Requests as a client sends them over plain HTTP, and their answers as tests read them: the token,
 * introspection and revocation endpoints with client_secret_basic, and /api/request-otp.
 */
import { DEMO_CLI, DEMO_SERVICE, type ClientCredentials } from './fixtures';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; {} when it is not JSON (the test looks at `text`). */
  body: Record<string, unknown>;
}

export const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };
export const JSON_TYPE = { 'content-type': 'application/json' };

export async function answerOf(res: Response): Promise<HttpAnswer> {
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the test looks at `text`
  }
  return { status: res.status, headers: res.headers, text, body };
}

export async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return answerOf(await fetch(url, { method: 'POST', body, headers }));
}

/** application/x-www-form-urlencoded (WHATWG URL §5.2, RFC 6749 Appendix B). */
export const form = (params: Record<string, string>) => new URLSearchParams(params).toString();

const formEncode = (value: string) => new URLSearchParams([['', value]]).toString().slice(1);

/**
 * HTTP Basic client authentication. RFC 6749 §2.3.1: the client id and the secret are each
 * form-urlencoded before they are joined and base64-encoded, and the server decodes them again, so
 * a `%` or `:` in either arrives as itself. A test that wants other bytes on the wire builds them.
 */
export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64')}`;
}

/**
 * How a client authenticates: a confidential one with Basic, a public one by naming itself in the
 * body (RFC 6749 §2.3.1, §3.2.1).
 */
function authenticated(
  params: Record<string, string>,
  client: ClientCredentials,
): { params: Record<string, string>; headers: Record<string, string> } {
  if (client.secret === undefined) return { params: { ...params, client_id: client.id }, headers: {} };
  return { params, headers: { authorization: basic(client.id, client.secret) } };
}

/** A POST of form parameters to an endpoint of the provider, authenticated as `client`. */
export function clientPost(
  url: string,
  params: Record<string, string>,
  client: ClientCredentials,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const auth = authenticated(params, client);
  return post(url, form(auth.params), { ...auth.headers, ...FORM_TYPE, ...headers });
}

/** A token request (RFC 6749 §3.2) as the client sends it; demo-cli unless told. */
export function tokenRequest(
  issuer: string,
  params: Record<string, string>,
  client: ClientCredentials = DEMO_CLI,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return clientPost(`${issuer}/token`, params, client, headers);
}

/** Token introspection (RFC 7662) by a resource server; demo-service unless told. */
export function introspect(
  issuer: string,
  token: string,
  client: ClientCredentials = DEMO_SERVICE,
): Promise<HttpAnswer> {
  return clientPost(`${issuer}/token/introspection`, { token }, client);
}

/** Whether introspection calls the token active. */
export async function isActive(issuer: string, token: string): Promise<boolean> {
  const answer = await introspect(issuer, token);
  if (answer.status !== 200) throw new Error(`introspection failed: ${answer.status} ${answer.text}`);
  return answer.body.active === true;
}

/** Token revocation (RFC 7009) by the client that holds the token. */
export function revoke(issuer: string, token: string, client: ClientCredentials): Promise<HttpAnswer> {
  return clientPost(`${issuer}/token/revocation`, { token }, client);
}

/** A one-time code for the name, asked for as an integrator does (POST /api/request-otp, a form). */
export function requestOtp(
  issuer: string,
  username: string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return post(`${issuer}/api/request-otp`, form({ username }), { ...FORM_TYPE, ...headers });
}
