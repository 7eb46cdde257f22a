/**
 * What a module runs with: the options, the OP's discovery document and JWKS (fetched once per run),
 * a relying party built by openid-client for the happy paths, a fresh person per browser, and the
 * steps every flow shares: authorize (person until the redirect back), redeem (the code exchange by
 * openid-client, then the ID token checks and the token response checks of the suite).
 */
import * as oidc from 'openid-client';
import type { JWK } from 'jose';
import { Browser, atRegisteredUris, type Fetch } from './browser';
import { checkIdToken, type IdTokenClaims } from './id-token';
import { Person } from './person';
import { Failure, check, type Plan } from './result';

export interface ClientCredentials {
  id: string;
  secret: string;
}

export interface BatteryOptions {
  issuer: string;
  client: ClientCredentials;
  /** Another confidential client (client_secret_basic), for the refresh token presented by the wrong client. */
  secondClient?: ClientCredentials;
  /** A client registered with token_endpoint_auth_method client_secret_post. */
  postClient?: ClientCredentials;
  account: { username: string; password: string };
  /** Registered for every client used; never visited. */
  redirectUri: string;
  /** Registered for the client as a post_logout_redirect_uri; never visited. */
  postLogoutRedirectUri: string;
  plans: Plan[];
  /** Runs the modules that wait (the 30-second code reuse). */
  slow?: boolean;
  /** Only these modules (by name). */
  only?: string[];
  fetch?: Fetch;
}

export type Metadata = Record<string, unknown> & { issuer: string };

/** Things fetched once per run and shared by the modules. */
export class Shared {
  private described?: Promise<Metadata>;
  private discovered?: Promise<{ metadata: Metadata; jwks: { keys: JWK[] } }>;
  private readonly configs = new Map<string, Promise<oidc.Configuration>>();
  /** The last token endpoint response's headers, per relying party (the suite checks no-store). */
  readonly tokenHeaders = new WeakMap<oidc.Configuration, Headers>();

  constructor(readonly options: BatteryOptions) {}

  get fetch(): Fetch {
    return this.options.fetch ?? fetch;
  }

  get insecure(): boolean {
    return new URL(this.options.issuer).protocol === 'http:';
  }

  /** The discovery document as plain JSON (a Failure when it is unusable). */
  metadata(): Promise<Metadata> {
    this.described ??= (async () => {
      const url = `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const metadata = (await this.json(url, 'discovery document')) as Metadata;
      check(
        metadata && typeof metadata === 'object' && !Array.isArray(metadata),
        'discovery is not a JSON object',
      );
      return metadata;
    })();
    return this.described;
  }

  /** The discovery document and the JWKS, as plain JSON (a Failure when either is unusable). */
  discovery(): Promise<{ metadata: Metadata; jwks: { keys: JWK[] } }> {
    this.discovered ??= (async () => {
      const metadata = await this.metadata();
      check(typeof metadata.jwks_uri === 'string', 'discovery has no jwks_uri');
      const jwks = (await this.json(metadata.jwks_uri, 'JWKS')) as { keys: JWK[] };
      check(Array.isArray(jwks.keys), 'JWKS has no keys array');
      return { metadata, jwks };
    })();
    return this.discovered;
  }

  private async json(url: string, what: string): Promise<unknown> {
    let res: Response;
    try {
      res = await this.fetch(url, { headers: { accept: 'application/json' }, redirect: 'manual' });
    } catch (err) {
      throw new Failure(`${what} at ${url} unreachable: ${describeError(err)}`);
    }
    check(res.status === 200, `${what} at ${url} answered ${res.status}`);
    check(
      /^application\/(.+\+)?json\b/.test(res.headers.get('content-type') ?? ''),
      `${what} at ${url} is not served as JSON (${res.headers.get('content-type') ?? 'no content type'})`,
    );
    try {
      return await res.json();
    } catch {
      throw new Failure(`${what} at ${url} is not valid JSON`);
    }
  }

  /** A relying party for a client, built by openid-client from the discovery document. */
  relyingParty(client: ClientCredentials, auth: 'basic' | 'post' = 'basic'): Promise<oidc.Configuration> {
    const key = `${client.id}\n${auth}`;
    let config = this.configs.get(key);
    if (!config) {
      config = (async () => {
        await this.discovery();
        const clientAuth =
          auth === 'post' ? oidc.ClientSecretPost(client.secret) : oidc.ClientSecretBasic(client.secret);
        let rp: oidc.Configuration;
        try {
          rp = await oidc.discovery(new URL(this.options.issuer), client.id, client.secret, clientAuth, {
            execute: this.insecure ? [oidc.allowInsecureRequests] : [],
            ...(this.options.fetch ? { [oidc.customFetch]: this.options.fetch } : {}),
          });
        } catch (err) {
          throw new Failure(`openid-client refused the discovery document: ${describeError(err)}`);
        }
        const base = this.fetch;
        rp[oidc.customFetch] = async (url, init) => {
          const res = await base(url, init as RequestInit);
          if (url === rp.serverMetadata().token_endpoint) this.tokenHeaders.set(rp, res.headers);
          return res;
        };
        return rp;
      })();
      this.configs.set(key, config);
    }
    return config;
  }
}

/** One line from any error, with the OAuth error code when there is one. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const e = err as Error & { error?: string; error_description?: string; cause?: unknown };
    if (e.error) return `${e.error}${e.error_description ? `: ${e.error_description}` : ''}`;
    const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
    return `${e.message.split('\n')[0]}${cause}`;
  }
  return String(err);
}

export interface Flow {
  rp: oidc.Configuration;
  client: ClientCredentials;
  callback: URL;
  state: string;
  nonce: string | undefined;
  params: Record<string, string>;
  codeVerifier?: string;
}

export interface Tokens {
  accessToken: string;
  refreshToken?: string;
  idToken: string;
  claims: IdTokenClaims;
  scope?: string;
}

export interface AuthorizeOptions {
  client?: ClientCredentials;
  auth?: 'basic' | 'post';
  /** false: send no nonce. */
  nonce?: boolean;
  pkce?: boolean;
  /** Send the request as a form POST to the authorization endpoint (OpenID Connect Core §3.1.2.1). */
  post?: boolean;
  /** Reorders the query (alternate happy flow). */
  reverse?: boolean;
}

export class ModuleContext {
  readonly warnings: string[] = [];
  readonly people: Person[] = [];

  constructor(readonly shared: Shared) {}

  get options(): BatteryOptions {
    return this.shared.options;
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /** A person with a browser that has never signed in. */
  person(): Person {
    const browser = new Browser({
      stopAt: atRegisteredUris(
        [this.options.redirectUri, this.options.postLogoutRedirectUri],
        new URL(this.options.issuer).origin,
      ),
      fetch: this.shared.fetch,
      headers: { 'accept-language': 'en' },
    });
    const person = new Person(browser, this.options.account);
    this.people.push(person);
    return person;
  }

  metadata(): Promise<Metadata> {
    return this.shared.metadata();
  }

  rp(client: ClientCredentials = this.options.client, auth: 'basic' | 'post' = 'basic') {
    return this.shared.relyingParty(client, auth);
  }

  /** The authorization request URL openid-client builds, with state and (unless told not to) nonce. */
  async request(
    params: Record<string, string>,
    options: AuthorizeOptions = {},
  ): Promise<{
    url: URL;
    rp: oidc.Configuration;
    state: string;
    nonce: string | undefined;
    codeVerifier?: string;
    params: Record<string, string>;
  }> {
    const client = options.client ?? this.options.client;
    const rp = await this.rp(client, options.auth);
    const state = oidc.randomState();
    const nonce = options.nonce === false ? undefined : oidc.randomNonce();
    const all: Record<string, string> = {
      response_type: 'code',
      scope: 'openid',
      redirect_uri: this.options.redirectUri,
      state,
      ...(nonce ? { nonce } : {}),
      ...params,
    };
    let codeVerifier: string | undefined;
    if (options.pkce) {
      codeVerifier = oidc.randomPKCECodeVerifier();
      all.code_challenge = await oidc.calculatePKCECodeChallenge(codeVerifier);
      all.code_challenge_method = 'S256';
    }
    let url = oidc.buildAuthorizationUrl(rp, all);
    if (options.reverse) {
      const reordered = new URL(url);
      reordered.search = new URLSearchParams([...url.searchParams].reverse()).toString();
      url = reordered;
    }
    return { url, rp, state, nonce, params: all, ...(codeVerifier ? { codeVerifier } : {}) };
  }

  /** The person goes through the OP's pages; the flow ends with the redirect back with a code. */
  async authorize(
    person: Person,
    params: Record<string, string> = {},
    options: AuthorizeOptions = {},
  ): Promise<Flow> {
    const request = await this.request(params, options);
    let outcome;
    if (options.post) {
      const endpoint = new URL(request.url);
      const form = Object.fromEntries(endpoint.searchParams);
      endpoint.search = '';
      const first = await person.browser.go(endpoint.toString(), { method: 'POST', form });
      if (first.kind === 'page') person.record(first.page);
      outcome = await person.proceed(first);
    } else outcome = await person.authorize(request.url.toString());
    if (outcome.kind === 'page') {
      const seen = person.seen[person.seen.length - 1];
      throw new Failure(
        `the authorization request ended on a page (${outcome.page.status} ${outcome.page.url}: ${seen?.text.slice(0, 160) ?? ''}) instead of a redirect to the client`,
      );
    }
    const error = outcome.url.searchParams.get('error');
    if (error)
      throw new Failure(
        `the OP answered ${error}${outcome.url.searchParams.get('error_description') ? `: ${outcome.url.searchParams.get('error_description')}` : ''}`,
      );
    check(outcome.url.searchParams.get('code'), 'the redirect to the client carries no code');
    return {
      rp: request.rp,
      client: options.client ?? this.options.client,
      callback: outcome.url,
      state: request.state,
      nonce: request.nonce,
      params: request.params,
      ...(request.codeVerifier ? { codeVerifier: request.codeVerifier } : {}),
    };
  }

  /** The code exchange by openid-client, then the suite's ID token and token response checks. */
  async redeem(flow: Flow, options: { maxAge?: number; authTimeAtLeast?: number } = {}): Promise<Tokens> {
    const code = flow.callback.searchParams.get('code') ?? '';
    // Core §15.5.2 via the suite: a code carries at least 128 bits of entropy.
    if (code.length < 22)
      this.warn(`authorization code is only ${code.length} characters (128 bits needs 22)`);
    let response;
    try {
      response = await oidc.authorizationCodeGrant(flow.rp, flow.callback, {
        expectedState: flow.state,
        ...(flow.nonce ? { expectedNonce: flow.nonce } : {}),
        ...(flow.codeVerifier ? { pkceCodeVerifier: flow.codeVerifier } : {}),
        ...(options.maxAge !== undefined ? { maxAge: options.maxAge } : {}),
        idTokenExpected: true,
      });
    } catch (err) {
      throw new Failure(`code exchange failed: ${describeError(err)}`);
    }
    this.checkTokenResponse(flow.rp, response);
    return this.tokens(flow, response, options);
  }

  /** Token endpoint response checks (RFC 6749 §5.1). */
  checkTokenResponse(rp: oidc.Configuration, response: { token_type?: string; expires_in?: number }): void {
    const headers = this.shared.tokenHeaders.get(rp);
    if (headers) {
      check(
        /\bno-store\b/i.test(headers.get('cache-control') ?? ''),
        'token response has no Cache-Control: no-store (RFC 6749 §5.1)',
      );
    }
    check(
      String(response.token_type).toLowerCase() === 'bearer',
      `token_type is ${response.token_type}, not Bearer`,
    );
    if (response.expires_in === undefined) this.warn('token response has no expires_in');
  }

  async tokens(
    flow: Pick<Flow, 'client' | 'nonce'>,
    response: { access_token: string; refresh_token?: string; id_token?: string; scope?: string },
    options: { maxAge?: number; authTimeAtLeast?: number } = {},
  ): Promise<Tokens> {
    check(response.id_token, 'token response has no id_token');
    const { metadata, jwks } = await this.shared.discovery();
    const { claims, warnings } = await checkIdToken(response.id_token, {
      issuer: metadata.issuer,
      clientId: flow.client.id,
      jwks,
      nonce: flow.nonce,
      accessToken: response.access_token,
      requireAuthTime: options.maxAge !== undefined,
      ...(options.authTimeAtLeast !== undefined ? { authTimeAtLeast: options.authTimeAtLeast } : {}),
    });
    for (const w of warnings) this.warn(w);
    return {
      accessToken: response.access_token,
      idToken: response.id_token,
      claims,
      ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
      ...(response.scope ? { scope: response.scope } : {}),
    };
  }

  /** Signs in from scratch with a new person and redeems the code. */
  async signIn(
    params: Record<string, string> = {},
    options: AuthorizeOptions = {},
  ): Promise<{ person: Person; flow: Flow; tokens: Tokens }> {
    const person = this.person();
    const flow = await this.authorize(person, params, options);
    const tokens = await this.redeem(flow);
    return { person, flow, tokens };
  }

  /** UserInfo by openid-client (GET, bearer header); checks sub against the ID token's. */
  async userinfo(flow: Flow, tokens: Tokens): Promise<Record<string, unknown>> {
    try {
      return await oidc.fetchUserInfo(flow.rp, tokens.accessToken, tokens.claims.sub);
    } catch (err) {
      throw new Failure(`userinfo failed: ${describeError(err)}`);
    }
  }

  /** A plain request for the negative cases, where a library would refuse to send it. */
  async raw(url: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await this.shared.fetch(url, { redirect: 'manual', ...init });
    } catch (err) {
      throw new Failure(`${init.method ?? 'GET'} ${url} failed: ${describeError(err)}`);
    }
  }

  /** Basic credentials (RFC 6749 §2.3.1: form-urlencoded, then base64). */
  basic(client: ClientCredentials): string {
    const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
    return `Basic ${Buffer.from(`${enc(client.id)}:${enc(client.secret)}`).toString('base64')}`;
  }
}
