/**
 * Tokens as DOT itself issued them before the cut-over, from its own /o/token/ and /o/revoke_token/:
 * password grants with refresh tokens, one refreshed at DOT (so its first refresh token is rotated
 * away), one access token and one refresh token revoked at DOT, and a client-credentials token.
 * Only users whose hash is Django's default (pbkdf2_sha256) sign in here: Django rehashes any other
 * format to its default at a successful sign-in, and the import must see every format.
 */
import { clientPost, type HttpAnswer } from '../http';
import type { DjangoServer, Seeded, SeededApplication } from './index';

export interface DotTokenSet {
  access_token: string;
  refresh_token: string;
  scope: string;
  expires_in: number;
}

export interface DotTokens {
  /** ada.pbkdf2's password grant, scope `read write`. */
  ada: DotTokenSet;
  /** root's tokens after one refresh at DOT; `rotated` is the refresh token DOT revoked then. */
  root: DotTokenSet & { rotated: string };
  /** sam.staff's access token, revoked at DOT (DOT deletes it). */
  revokedAccess: string;
  /** pat.pbkdf2's refresh token, revoked at DOT (DOT marks it revoked and deletes its access token). */
  revokedRefresh: string;
  /** The `service` application's client-credentials token (no user, no refresh token). */
  service: string;
}

const client = (app: SeededApplication) => ({ id: app.client_id, secret: app.client_secret });

function tokens(answer: HttpAnswer, what: string): DotTokenSet {
  if (answer.status !== 200) throw new Error(`DOT ${what}: ${answer.status} ${answer.text}`);
  return answer.body as unknown as DotTokenSet;
}

export async function issueDotTokens(dot: DjangoServer, seeded: Seeded): Promise<DotTokens> {
  const app = seeded.applications.password;
  const token = (params: Record<string, string>, what: string, by = app) =>
    clientPost(`${dot.url}/o/token/`, params, client(by)).then((a) => tokens(a, what));
  const password = (username: string) =>
    token(
      {
        grant_type: 'password',
        username,
        password: seeded.users.find((u) => u.username === username)!.password,
        scope: 'read write',
      },
      `password grant for ${username}`,
    );
  const revoke = async (value: string, hint: string) => {
    const answer = await clientPost(
      `${dot.url}/o/revoke_token/`,
      { token: value, token_type_hint: hint },
      client(app),
    );
    if (answer.status !== 200) throw new Error(`DOT revocation: ${answer.status} ${answer.text}`);
  };

  const ada = await password('ada.pbkdf2');
  const rootFirst = await password('root');
  const root = await token(
    { grant_type: 'refresh_token', refresh_token: rootFirst.refresh_token },
    'refresh',
  );
  const sam = await password('sam.staff');
  await revoke(sam.access_token, 'access_token');
  const pat = await password('pat.pbkdf2');
  await revoke(pat.refresh_token, 'refresh_token');
  const service = await token(
    { grant_type: 'client_credentials', scope: 'read' },
    'client credentials',
    seeded.applications.service,
  );
  return {
    ada,
    root: { ...root, rotated: rootFirst.refresh_token },
    revokedAccess: sam.access_token,
    revokedRefresh: pat.refresh_token,
    service: service.access_token,
  };
}
