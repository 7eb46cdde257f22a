/**
 * Dynamic client registration as a relying party does it (RFC 7591 §3, OpenID Connect Dynamic
 * Client Registration 1.0 §3): a POST of the client's metadata to discovery's registration_endpoint
 * with the operator's initial access token as a Bearer token, and the client read, updated and
 * deleted with its registration access token at its registration_client_uri (RFC 7592 §2).
 */
import type { Fetch } from './browser';
import { Failure, Skip, check } from './result';

/** A client the battery registered for a module. */
export interface RegisteredClient {
  id: string;
  /** Absent for public clients and private_key_jwt clients (RFC 7591 §3.2.1). */
  secret?: string;
  registrationAccessToken: string;
  registrationClientUri: string;
  /** The whole registration response: the metadata as the OP registered it. */
  metadata: Record<string, unknown>;
}

/** What the OP answered to a registration request, for the modules that expect a refusal. */
export interface RegistrationAnswer {
  status: number;
  body: Record<string, unknown>;
}

export class Registrar {
  constructor(
    private readonly fetchImpl: Fetch,
    private readonly endpoint: string | undefined,
    private readonly token: string | undefined,
  ) {}

  /** Skips when the OP has no registration endpoint or the battery was given no token. */
  private target(): { endpoint: string; token: string } {
    if (!this.endpoint) throw new Skip('no registration endpoint (discovery has no registration_endpoint)');
    if (!this.token) throw new Skip('no --registration-token (an initial access token) given');
    return { endpoint: this.endpoint, token: this.token };
  }

  /** The raw registration request: any answer, parsed as JSON when it is JSON. */
  async request(metadata: Record<string, unknown>): Promise<RegistrationAnswer> {
    const { endpoint, token } = this.target();
    return this.call(endpoint, 'POST', token, metadata);
  }

  /** Registers a client the OP must accept (a Failure when it refuses). */
  async register(metadata: Record<string, unknown>): Promise<RegisteredClient> {
    const answer = await this.request(metadata);
    if (answer.status !== 201) {
      const { error, error_description: description } = answer.body;
      throw new Failure(
        `the OP refused to register valid client metadata: ${answer.status}${error ? ` ${String(error)}` : ''}${description ? `: ${String(description)}` : ''}`,
      );
    }
    return registered(answer.body);
  }

  /** RFC 7592 §2.1–2.3: read (GET), update (PUT, the whole metadata), delete (DELETE). */
  async manage(
    client: Pick<RegisteredClient, 'registrationAccessToken' | 'registrationClientUri'>,
    method: 'GET' | 'PUT' | 'DELETE',
    metadata?: Record<string, unknown>,
  ): Promise<RegistrationAnswer> {
    return this.call(client.registrationClientUri, method, client.registrationAccessToken, metadata);
  }

  private async call(
    url: string,
    method: string,
    token: string,
    metadata?: Record<string, unknown>,
  ): Promise<RegistrationAnswer> {
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        redirect: 'manual',
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(metadata ? { 'content-type': 'application/json' } : {}),
        },
        ...(metadata ? { body: JSON.stringify(metadata) } : {}),
      });
    } catch (err) {
      throw new Failure(`${method} ${url} failed: ${(err as Error).message}`);
    }
    const text = await res.text();
    let body: Record<string, unknown> = {};
    if (text) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
          body = parsed as Record<string, unknown>;
      } catch {
        // A non-JSON answer: the status says what happened; the modules check it.
      }
    }
    return { status: res.status, body };
  }
}

/** The registration response as a RegisteredClient (RFC 7591 §3.2.1, RFC 7592 §3). */
export function registered(body: Record<string, unknown>): RegisteredClient {
  check(typeof body.client_id === 'string' && body.client_id, 'the registration response has no client_id');
  check(
    typeof body.registration_access_token === 'string',
    'the registration response has no registration_access_token (RFC 7592 §3)',
  );
  check(
    typeof body.registration_client_uri === 'string',
    'the registration response has no registration_client_uri (RFC 7592 §3)',
  );
  return {
    id: body.client_id,
    ...(typeof body.client_secret === 'string' ? { secret: body.client_secret } : {}),
    registrationAccessToken: body.registration_access_token,
    registrationClientUri: body.registration_client_uri,
    metadata: body,
  };
}
