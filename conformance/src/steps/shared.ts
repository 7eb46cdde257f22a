/**
 * Steps several modules share: the scope modules' claim checks, the UserInfo response checks, and
 * the checks on an error sent back to the client.
 */
import type { ModuleContext } from '../context';
import type { Outcome } from '../browser';
import { Failure, Skip, check } from '../result';

/** OpenID Connect Core §5.4: the claims each standard scope asks for. */
export const SCOPE_CLAIMS: Record<string, string[]> = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** OpenID Connect Core §5.1: the JSON types of the standard claims. */
export function checkClaimTypes(claims: Record<string, unknown>, where: string): void {
  const types: Record<string, string> = {
    sub: 'string',
    email_verified: 'boolean',
    phone_number_verified: 'boolean',
    updated_at: 'number',
    address: 'object',
  };
  for (const [name, type] of Object.entries(types))
    if (name in claims) check(typeof claims[name] === type, `${where} ${name} is not a ${type}`);
  for (const name of [...SCOPE_CLAIMS.profile!, 'email', 'phone_number'])
    if (name in claims && name !== 'updated_at')
      check(typeof claims[name] === 'string', `${where} ${name} is not a string`);
}

/** Skips when discovery does not list a scope (what the suite does for the scope modules). */
export async function requireScopes(ctx: ModuleContext, scopes: string[]): Promise<void> {
  const supported = (await ctx.metadata()).scopes_supported;
  if (!Array.isArray(supported)) return;
  const missing = scopes.filter((s) => !supported.includes(s));
  if (missing.length) throw new Skip(`scopes_supported does not list ${missing.join(', ')}`);
}

/** Signs in asking for the scopes, then checks UserInfo releases claims of each (a warning if not). */
export async function scopeModule(ctx: ModuleContext, scopes: string[]): Promise<void> {
  await requireScopes(ctx, scopes);
  const { flow, tokens } = await ctx.signIn({ scope: ['openid', ...scopes].join(' ') });
  const userinfo = await ctx.userinfo(flow, tokens);
  checkClaimTypes(userinfo, 'userinfo');
  const granted = tokens.scope?.split(' ');
  for (const scope of scopes) {
    if (granted && !granted.includes(scope)) {
      ctx.warn(`the OP did not grant the ${scope} scope`);
      continue;
    }
    const expected = SCOPE_CLAIMS[scope] ?? [];
    const returned = expected.filter((c) => c in userinfo);
    if (!returned.length) ctx.warn(`userinfo returned no ${scope} claims (${expected.join(', ')})`);
  }
}

/** The redirect back to the client carrying an error (RFC 6749 §4.1.2.1), state echoed. */
export function errorRedirect(
  outcome: Outcome,
  state: string | undefined,
): { error: string; description: string } {
  if (outcome.kind !== 'callback') throw new Failure('expected a redirect to the client with an error');
  const error = outcome.url.searchParams.get('error') ?? outcome.url.hash.match(/error=([^&]+)/)?.[1];
  check(error, `the OP redirected to the client without an error (${outcome.url.search})`);
  check(!outcome.url.searchParams.get('code'), 'the error redirect carries a code');
  if (state !== undefined)
    check(outcome.url.searchParams.get('state') === state, 'the error redirect does not echo state');
  return { error, description: outcome.url.searchParams.get('error_description') ?? '' };
}
