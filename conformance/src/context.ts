/**
 * What a module runs with: the options, the OP's discovery document and JWKS (fetched once per run),
 * a relying party built by openid-client for the happy paths, a fresh person per browser, and the
 * steps every flow shares: authorize (person until the redirect back), redeem (the code exchange by
 * openid-client, then the ID token checks and the token response checks of the suite).
 */
import * as oidc from 'openid-client';
import type { JWK } from 'jose';
import {
  expectedMode,
  responseForm,
  responseOf,
  type AuthorizationResponse,
  type ResponseMode,
} from './authorization-response';
import { Browser, atRegisteredUris, type Fetch, type Outcome } from './browser';
import { checkIdToken, type IdTokenClaims } from './id-token';
import { Person } from './person';
import { Registrar, registered, type RegisteredClient, type RegistrationAnswer } from './registration';
import { Failure, check, type Plan } from './result';

export type { RegisteredClient, RegistrationAnswer };

export interface ClientCredentials {
  id: string;
  /** '' for a client without a secret (none, private_key_jwt). */
  secret: string;
  /** The client's signing key, for private_key_jwt (RFC 7523 §2.2). */
  privateKey?: oidc.PrivateKey;
}

/** How a relying party authenticates at the token endpoint (RFC 6749 §2.3, OpenID Connect Core §9). */
export type ClientAuthKind = 'basic' | 'post' | 'none' | 'private_key_jwt';

/** The openid-client flow a relying party is set up for (its hybrid support is code id_token). */
export type RpFlow = 'code' | 'hybrid' | 'implicit';

function authOf(client: ClientCredentials): ClientAuthKind {
  return client.privateKey ? 'private_key_jwt' : client.secret ? 'basic' : 'none';
}

function clientAuthOf(client: ClientCredentials, auth: ClientAuthKind): oidc.ClientAuth {
  switch (auth) {
    case 'post':
      return oidc.ClientSecretPost(client.secret);
    case 'none':
      return oidc.None();
    case 'private_key_jwt':
      if (!client.privateKey) throw new Failure(`client ${client.id} has no private key for private_key_jwt`);
      return oidc.PrivateKeyJwt(client.privateKey);
    default:
      return oidc.ClientSecretBasic(client.secret);
  }
}

function rpFlowOf(responseType: string): RpFlow {
  return responseType === 'code id_token' ? 'hybrid' : responseType === 'id_token' ? 'implicit' : 'code';
}

/** The parameters a code-flow client reads from a response (RFC 6749 §4.1.2, RFC 9207 §2). */
function codeOnly(response: URLSearchParams, front: FrontChannel): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of ['code', 'state', 'iss']) {
    const value = response.get(name);
    if (value !== null) params.set(name, value);
  }
  // RFC 9207 §2.4: an OP may leave iss out when an ID token (with its iss) is in the response.
  if (!params.has('iss') && front.claims) params.set('iss', front.claims.iss);
  return params;
}

/** What the authorization endpoint itself returned (implicit and hybrid flows). */
export interface FrontChannel {
  idToken?: string;
  claims?: IdTokenClaims;
  accessToken?: string;
}

export interface BatteryOptions {
  issuer: string;
  client: ClientCredentials;
  /** Another confidential client (client_secret_basic), for the refresh token presented by the wrong client. */
  secondClient?: ClientCredentials;
  /** A client registered with token_endpoint_auth_method client_secret_post. */
  postClient?: ClientCredentials;
  /**
   * A confidential client (client_secret_basic) registered for token exchange (RFC 8693), for an OP
   * that lets no client register itself for that grant.
   */
  exchangeClient?: ClientCredentials;
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
  /**
   * An initial access token for the OP's registration endpoint (RFC 7591 §3; CLI
   * --registration-token): the modules that need a client of their own register it with this.
   */
  registrationToken?: string;
  /** A resource server registered at the OP with JWT access tokens (RFC 8707, RFC 9068; CLI --resource). */
  resource?: string;
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

  private registrarOf?: Promise<Registrar>;
  /** Clients registered once per run and shared by modules (deleted by cleanup at the run's end). */
  private readonly sharedClients = new Map<string, Promise<RegisteredClient>>();

  /**
   * A client for `metadata`, registered on first use in this run: OPs limit registrations per
   * source (Gatehouse: RATE_LIMIT_CLIENT_REGISTRATION), and the modules that only need a client of
   * some kind need not have one each.
   */
  sharedClient(metadata: Record<string, unknown>): Promise<RegisteredClient> {
    const key = JSON.stringify(metadata);
    let client = this.sharedClients.get(key);
    if (!client) {
      client = this.registrar().then((r) => r.register(metadata));
      // A refusal is the module's result, not the run's: the next module asks again.
      client.catch(() => this.sharedClients.delete(key));
      this.sharedClients.set(key, client);
    }
    return client;
  }

  /** Deletes the shared clients (RFC 7592 §2.3), best effort. */
  async cleanup(): Promise<void> {
    const clients = [...this.sharedClients.values()];
    this.sharedClients.clear();
    if (!clients.length) return;
    const registrar = await this.registrar();
    for (const pending of clients) {
      try {
        await registrar.manage(await pending, 'DELETE');
      } catch {
        // Refused at registration, or management is off: nothing to delete.
      }
    }
  }

  /** Dynamic registration at discovery's registration_endpoint with the battery's token. */
  registrar(): Promise<Registrar> {
    this.registrarOf ??= this.metadata().then(
      (metadata) =>
        new Registrar(
          this.fetch,
          typeof metadata.registration_endpoint === 'string' ? metadata.registration_endpoint : undefined,
          this.options.registrationToken,
        ),
    );
    return this.registrarOf;
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
  relyingParty(
    client: ClientCredentials,
    auth: ClientAuthKind = 'basic',
    flow: RpFlow = 'code',
  ): Promise<oidc.Configuration> {
    const key = `${client.id}\n${auth}\n${flow}`;
    let config = this.configs.get(key);
    if (!config) {
      config = (async () => {
        await this.discovery();
        const clientAuth = clientAuthOf(client, auth);
        const execute = [
          ...(this.insecure ? [oidc.allowInsecureRequests] : []),
          ...(flow === 'hybrid' ? [oidc.useCodeIdTokenResponseType] : []),
          ...(flow === 'implicit' ? [oidc.useIdTokenResponseType] : []),
        ];
        let rp: oidc.Configuration;
        try {
          rp = await oidc.discovery(
            new URL(this.options.issuer),
            client.id,
            client.secret || undefined,
            clientAuth,
            {
              execute,
              ...(this.options.fetch ? { [oidc.customFetch]: this.options.fetch } : {}),
            },
          );
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
  /** The authorization response's parameters (query, fragment or form post); else the callback's query. */
  response?: URLSearchParams;
  mode?: ResponseMode;
}

export interface Tokens {
  accessToken: string;
  refreshToken?: string;
  idToken: string;
  claims: IdTokenClaims;
  scope?: string;
  /** Implicit and hybrid flows: what came from the authorization endpoint. */
  front?: FrontChannel;
}

export interface AuthorizeOptions {
  client?: ClientCredentials;
  /** How the client authenticates; by default what its credentials allow. */
  auth?: ClientAuthKind;
  /** response_mode (OAuth 2.0 Form Post Response Mode). */
  responseMode?: 'form_post' | 'fragment' | 'query';
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
  /** The clients this module registered (deleted when it ends, RFC 7592 §2.3). */
  readonly registered: RegisteredClient[] = [];

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

  /**
   * Registers a client for this module (RFC 7591 §3.1) with the battery's initial access token:
   * the battery's redirect and post-logout redirect URIs and client_secret_basic unless `metadata`
   * says otherwise. Skips when the OP has no registration endpoint or no token was given; a Failure
   * when the OP refuses the metadata. The client is deleted when the module ends.
   */
  async registerClient(metadata: Record<string, unknown> = {}): Promise<RegisteredClient> {
    const registrar = await this.shared.registrar();
    const client = await registrar.register({ ...this.clientDefaults(), ...metadata });
    this.registered.push(client);
    return client;
  }

  /**
   * A client registered once per run for `metadata` (with registerClient's defaults) and shared
   * with the other modules asking for the same: for the modules that need a client of a kind, not
   * one of their own. Not deleted when the module ends; the battery deletes it at the end of the run.
   */
  async sharedClient(metadata: Record<string, unknown> = {}): Promise<RegisteredClient> {
    return this.shared.sharedClient({ ...this.clientDefaults(), ...metadata });
  }

  /** The registration request as sent, any answer back (for the modules that expect a refusal). */
  async registrationRequest(metadata: Record<string, unknown>): Promise<RegistrationAnswer> {
    const registrar = await this.shared.registrar();
    const answer = await registrar.request(metadata);
    if (answer.status === 201) {
      try {
        this.registered.push(registered(answer.body));
      } catch {
        // Not manageable: nothing to delete.
      }
    }
    return answer;
  }

  /** RFC 7592 read, update and delete of a client this module registered. */
  async manageClient(
    client: RegisteredClient,
    method: 'GET' | 'PUT' | 'DELETE',
    metadata?: Record<string, unknown>,
  ): Promise<RegistrationAnswer> {
    const answer = await (await this.shared.registrar()).manage(client, method, metadata);
    // RFC 7592 §2.2: an update may rotate the registration access token; keep the one that works.
    if (
      method === 'PUT' &&
      answer.status === 200 &&
      typeof answer.body.registration_access_token === 'string'
    )
      client.registrationAccessToken = answer.body.registration_access_token;
    return answer;
  }

  /** What registerClient sends unless told otherwise. */
  clientDefaults(): Record<string, unknown> {
    return {
      client_name: 'Gatehouse conformance battery',
      redirect_uris: [this.options.redirectUri],
      post_logout_redirect_uris: [this.options.postLogoutRedirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
    };
  }

  /** Deletes the clients this module registered (best effort: the OP may have refused management). */
  async cleanup(): Promise<void> {
    if (!this.registered.length) return;
    const registrar = await this.shared.registrar();
    for (const client of this.registered.splice(0)) {
      try {
        await registrar.manage(client, 'DELETE');
      } catch {
        // Already deleted by the module, or management is off: the client stays registered.
      }
    }
  }

  rp(client: ClientCredentials = this.options.client, auth?: ClientAuthKind, flow: RpFlow = 'code') {
    return this.shared.relyingParty(client, auth ?? authOf(client), flow);
  }

  /** A registered client as the credentials the flows run with (its private key for private_key_jwt). */
  asClient(client: RegisteredClient, privateKey?: oidc.PrivateKey): ClientCredentials {
    return { id: client.id, secret: client.secret ?? '', ...(privateKey ? { privateKey } : {}) };
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
    const rp = await this.rp(client, options.auth, rpFlowOf(params.response_type ?? 'code'));
    const state = oidc.randomState();
    const nonce = options.nonce === false ? undefined : oidc.randomNonce();
    const all: Record<string, string> = {
      response_type: 'code',
      scope: 'openid',
      redirect_uri: this.options.redirectUri,
      state,
      ...(nonce ? { nonce } : {}),
      ...(options.responseMode ? { response_mode: options.responseMode } : {}),
      ...params,
    };
    let codeVerifier: string | undefined;
    if (options.pkce) {
      codeVerifier = oidc.randomPKCECodeVerifier();
      all.code_challenge = await oidc.calculatePKCECodeChallenge(codeVerifier);
      all.code_challenge_method = 'S256';
    }
    let url: URL;
    try {
      url = oidc.buildAuthorizationUrl(rp, all);
    } catch {
      // openid-client refuses some requests the suite sends on purpose (implicit without a nonce).
      url = new URL(String(rp.serverMetadata().authorization_endpoint));
      for (const [k, v] of Object.entries({ client_id: client.id, ...all })) url.searchParams.set(k, v);
    }
    if (options.reverse) {
      const reordered = new URL(url);
      reordered.search = new URLSearchParams([...url.searchParams].reverse()).toString();
      url = reordered;
    }
    return { url, rp, state, nonce, params: all, ...(codeVerifier ? { codeVerifier } : {}) };
  }

  /**
   * The person goes through the OP's pages until the authorization response reaches the client:
   * the redirect with the response in its query or fragment, or the form_post page (read with the
   * HTML parser; the person does not submit it). Returns the outcome as it is (an error response,
   * a page) for the modules that expect a refusal.
   */
  async authorizationResponse(
    person: Person,
    params: Record<string, string> = {},
    options: AuthorizeOptions = {},
  ): Promise<{
    request: Awaited<ReturnType<ModuleContext['request']>>;
    outcome: Outcome;
    response: AuthorizationResponse | undefined;
  }> {
    const request = await this.request(params, options);
    const uris = [request.params.redirect_uri ?? this.options.redirectUri];
    person.responseAt = (page) => Boolean(responseForm(page, uris));
    let outcome: Outcome;
    if (options.post) {
      const endpoint = new URL(request.url);
      const form = Object.fromEntries(endpoint.searchParams);
      endpoint.search = '';
      const first = await person.browser.go(endpoint.toString(), { method: 'POST', form });
      if (first.kind === 'page') person.record(first.page);
      outcome = await person.proceed(first);
    } else outcome = await person.authorize(request.url.toString());
    return { request, outcome, response: responseOf(outcome, uris) };
  }

  /**
   * The person goes through the OP's pages; the flow ends with the authorization response the
   * request's response_type asks for, in the mode it asks for (a Failure otherwise).
   */
  async authorize(
    person: Person,
    params: Record<string, string> = {},
    options: AuthorizeOptions = {},
  ): Promise<Flow> {
    const { request, outcome, response } = await this.authorizationResponse(person, params, options);
    if (!response) {
      const page = outcome.kind === 'page' ? outcome.page : undefined;
      const seen = person.seen[person.seen.length - 1];
      throw new Failure(
        `the authorization request ended on a page (${page?.status} ${page?.url}: ${seen?.text.slice(0, 160) ?? ''}) instead of a redirect to the client`,
      );
    }
    const error = response.params.get('error');
    if (error) {
      const description = response.params.get('error_description');
      throw new Failure(`the OP answered ${error}${description ? `: ${description}` : ''}`);
    }
    const expected = expectedMode(request.params);
    check(
      response.mode === expected,
      `the authorization response came in the ${response.mode}, the request asked for ${expected}`,
    );
    // OAuth 2.0 Multiple Response Types §3 and OpenID Connect Core §3.3.2.5: each part asked for.
    const types = (request.params.response_type ?? 'code').split(' ');
    if (types.includes('code'))
      check(response.params.get('code'), 'the authorization response carries no code');
    if (types.includes('id_token'))
      check(response.params.get('id_token'), 'the authorization response carries no id_token');
    if (types.includes('token'))
      check(response.params.get('access_token'), 'the authorization response carries no access_token');
    if (!types.includes('code'))
      check(!response.params.get('code'), `response_type ${types.join(' ')} answered with a code`);
    if (!types.includes('token'))
      check(
        !response.params.get('access_token'),
        `response_type ${types.join(' ')} answered with an access_token`,
      );
    return {
      rp: request.rp,
      client: options.client ?? this.options.client,
      callback: outcome.kind === 'callback' ? outcome.url : response.target,
      state: request.state,
      nonce: request.nonce,
      params: request.params,
      response: response.params,
      mode: response.mode,
      ...(request.codeVerifier ? { codeVerifier: request.codeVerifier } : {}),
    };
  }

  /**
   * The ID token and access token the authorization endpoint returned (implicit and hybrid flows):
   * the suite's ID token checks, nonce required (Core §3.2.2.11, §3.3.2.11), c_hash when a code came
   * with it, at_hash when an access token did (Core §3.2.2.10, §3.3.2.11), token_type Bearer.
   */
  async frontChannel(flow: Flow): Promise<FrontChannel> {
    const response = flow.response ?? flow.callback.searchParams;
    const types = (flow.params.response_type ?? 'code').split(' ');
    const accessToken = response.get('access_token') ?? undefined;
    if (accessToken) {
      check(
        String(response.get('token_type')).toLowerCase() === 'bearer',
        `the authorization response's token_type is ${response.get('token_type')}, not Bearer`,
      );
      check(response.get('state') === flow.state, 'the authorization response does not echo state');
    }
    const idToken = response.get('id_token') ?? undefined;
    if (!idToken) return accessToken ? { accessToken } : {};
    check(flow.nonce, 'the request carried no nonce, which implicit and hybrid flows require');
    const code = response.get('code') ?? undefined;
    const { metadata, jwks } = await this.shared.discovery();
    const { claims, warnings } = await checkIdToken(idToken, {
      issuer: metadata.issuer,
      clientId: flow.client.id,
      jwks,
      nonce: flow.nonce,
      ...(accessToken ? { accessToken } : {}),
      ...(code ? { code } : {}),
      // Core §3.2.2.10 (id_token token) and §3.3.2.11 (code id_token token): at_hash is REQUIRED.
      requireAtHash: Boolean(accessToken),
      // Core §3.3.2.11: c_hash is REQUIRED for code id_token and code id_token token.
      requireCHash: types.includes('code'),
    });
    for (const w of warnings) this.warn(w);
    return { idToken, claims, ...(accessToken ? { accessToken } : {}) };
  }

  /** The code exchange by openid-client, then the suite's ID token and token response checks. */
  async redeem(flow: Flow, options: { maxAge?: number; authTimeAtLeast?: number } = {}): Promise<Tokens> {
    const response = flow.response ?? flow.callback.searchParams;
    const code = response.get('code') ?? '';
    // Core §15.5.2 via the suite: a code carries at least 128 bits of entropy.
    if (code.length < 22)
      this.warn(`authorization code is only ${code.length} characters (128 bits needs 22)`);
    const front = await this.frontChannel(flow);
    const hybrid = flow.params.response_type === 'code id_token';
    let current: URL | Request = flow.callback;
    if (flow.mode === 'form_post') {
      // openid-client reads a form_post response from the Request the browser would have sent.
      current = new Request(flow.callback, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: (hybrid ? response : codeOnly(response, front)).toString(),
      });
    } else if (flow.mode === 'fragment' && !hybrid) {
      // openid-client's hybrid support is code id_token only: for code token and code id_token
      // token the battery checked the front channel itself and hands it the code as a query.
      current = new URL(flow.callback);
      current.hash = '';
      current.search = codeOnly(response, front).toString();
    }
    let result;
    try {
      result = await oidc.authorizationCodeGrant(flow.rp, current, {
        expectedState: flow.state,
        ...(flow.nonce ? { expectedNonce: flow.nonce } : {}),
        ...(flow.codeVerifier ? { pkceCodeVerifier: flow.codeVerifier } : {}),
        ...(options.maxAge !== undefined ? { maxAge: options.maxAge } : {}),
        idTokenExpected: true,
      });
    } catch (err) {
      throw new Failure(`code exchange failed: ${describeError(err)}`);
    }
    this.checkTokenResponse(flow.rp, result);
    const tokens = await this.tokens(flow, result, options);
    if (front.claims) {
      // Core §3.3.3.6: iss and sub of both ID tokens are identical.
      check(
        front.claims.sub === tokens.claims.sub && front.claims.iss === tokens.claims.iss,
        'the ID tokens from the authorization and token endpoints name different subjects',
      );
    }
    return { ...tokens, ...(front.idToken || front.accessToken ? { front } : {}) };
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
