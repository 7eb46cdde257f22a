/**
 * The demo data every test node starts with, read from the seed that writes it (seeds/demo.js): the
 * users, the clients and their secrets, the service key. Tests name these and never copy the values,
 * so a change to the seed cannot leave a stale copy behind.
 */
import { DEMO } from '../../seeds/demo';

/** A client's id and, for a confidential one, its secret (client_secret_basic, RFC 6749 §2.3.1). */
export interface ClientCredentials {
  id: string;
  secret?: string;
}

export interface DemoUser {
  id: string;
  username: string;
  password: string;
}

/** A client that signs users in through the browser: where the provider sends them back. */
export interface RedirectingClient extends ClientCredentials {
  redirectUri: string;
  postLogoutRedirectUri: string;
}

function demoUser(username: string): DemoUser {
  const user = DEMO.USERS.find((u) => u.username === username);
  if (!user) throw new Error(`seeds/demo.js has no user ${username}`);
  return { id: user.id, username: user.username, password: user.password };
}

function demoClient(clientId: string): ClientCredentials {
  const client = DEMO.CLIENTS.find((c) => c.client_id === clientId);
  if (!client) throw new Error(`seeds/demo.js has no client ${clientId}`);
  const secret = client.client_secret as string | undefined;
  return secret ? { id: clientId, secret } : { id: clientId };
}

function redirecting(clientId: string): RedirectingClient {
  const client = DEMO.CLIENTS.find((c) => c.client_id === clientId)!;
  const [redirectUri] = client.redirect_uris as string[];
  const [postLogoutRedirectUri] = client.post_logout_redirect_uris as string[];
  return {
    ...demoClient(clientId),
    redirectUri: redirectUri!,
    postLogoutRedirectUri: postLogoutRedirectUri!,
  };
}

export const ADMIN = demoUser('admin');
export const ALICE = demoUser('alice');

/** A confidential web client (authorization code with PKCE, refresh tokens). */
export const DEMO_WEB = redirecting('demo-web') as RedirectingClient & { secret: string };
/** A public single-page client (authorization code with PKCE, no secret). */
export const DEMO_SPA = redirecting('demo-spa');
/** A confidential machine client (client credentials); the tests' introspecting resource server. */
export const DEMO_SERVICE = demoClient('demo-service') as Required<ClientCredentials>;
/** A first-party confidential client with the password and one-time-code grants. */
export const DEMO_CLI = demoClient('demo-cli') as Required<ClientCredentials>;
/** A public client with the device authorization grant (RFC 8628) and refresh tokens. */
export const DEMO_DEVICE = demoClient('demo-device');

/** The demo service key (X-Service-Key), which stands for demo-cli. */
export const DEMO_SERVICE_KEY = DEMO.SERVICE_KEYS[0]!.key;

/** Every scope the demo clients may ask for. */
export const DEMO_SCOPE = DEMO.SCOPE;

/** What tests give the accounts they create when the password itself does not matter. */
export const TEST_PASSWORD = 'password123';

/** A demo user's password, or the one tests give their own accounts. */
export function passwordOf(username: string): string {
  return [ADMIN, ALICE].find((u) => u.username === username)?.password ?? TEST_PASSWORD;
}
