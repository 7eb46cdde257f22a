/**
 * `gatehouse client create`: registers a client and prints its id and secret, once (the seed's
 * create_oauth_app). The flags are checked here, then the metadata they build goes through the one
 * client validator (clients/validate.ts, as for the admin API), so that a client the provider would
 * refuse to load is never stored.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { buildClientMetadata, isReservedClientId, publicMetadata } from '../../clients/store';
import { STAND_IN_SECRET, validateClientMetadata, type ClientSchemaCheck } from '../../clients/validate';
import { supportedScopes } from '../../oidc/claims';
import { OTP_GRANT, PASSWORD_GRANT } from '../../oidc/grants/names';
import { action, type CommandContext } from '../context';
import { conflict, usageError } from '../errors';
import { fields, list } from '../output';

/** The grants the provider serves; `otp` is short for Gatehouse's one-time-code grant. */
export const GRANT_TYPES: Record<string, string> = {
  authorization_code: 'authorization_code',
  refresh_token: 'refresh_token',
  client_credentials: 'client_credentials',
  [PASSWORD_GRANT]: PASSWORD_GRANT,
  otp: OTP_GRANT,
  [OTP_GRANT]: OTP_GRANT,
};

export interface ClientCreateOptions {
  name: string;
  id?: string;
  redirectUri: string[];
  postLogoutRedirectUri: string[];
  grant: string[];
  public?: boolean;
  firstParty?: boolean;
  scope?: string;
}

/** The flag that sets each metadata field, to name it in a refusal. */
const FLAG_OF_FIELD: Record<string, string> = {
  grant_types: '--grant',
  redirect_uris: '--redirect-uri',
  post_logout_redirect_uris: '--post-logout-redirect-uri',
};

const GRANT_NAMES = Object.keys(GRANT_TYPES).filter((g) => g !== OTP_GRANT);

const collect = (value: string, previous: string[]) => [...previous, value];

function collectGrant(value: string, previous: string[]): string[] {
  if (!GRANT_TYPES[value]) throw new InvalidArgumentError(`Allowed choices are ${GRANT_NAMES.join(', ')}.`);
  return [...previous, value];
}

function checkUri(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`${flag}: not an absolute URL: ${value}`);
  }
  // OAuth 2.0 §3.1.2: the redirection endpoint URI must not include a fragment.
  if (url.hash) throw usageError(`${flag}: must not have a fragment: ${value}`);
  return value;
}

/**
 * The provider's schema check, built on first use: only metadata that passed Gatehouse's own rules
 * gets that far, so a refusal by those opens no database and loads no oidc-provider.
 */
function providerSchema(ctx: CommandContext): ClientSchemaCheck {
  return async function checkProviderSchema(metadata) {
    const services = await ctx.services();
    const { createClientSchemaCheck } = require('../client-schema') as typeof import('../client-schema');
    await createClientSchemaCheck(ctx.config, services)(metadata);
  };
}

export async function clientCreate(ctx: CommandContext, options: ClientCreateOptions): Promise<void> {
  const grants = [...new Set(options.grant.map((g) => GRANT_TYPES[g]!))];
  const grantTypes = grants.length ? grants : ['authorization_code', 'refresh_token'];
  const redirectUris = options.redirectUri.map((u) => checkUri('--redirect-uri', u));
  const postLogout = options.postLogoutRedirectUri.map((u) => checkUri('--post-logout-redirect-uri', u));
  if (!options.name.trim()) throw usageError('--name must not be empty');
  if (options.id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(options.id))
    throw usageError('--id: letters, digits and . _ : - only, at most 128 characters');
  if (grantTypes.includes('authorization_code') && !redirectUris.length)
    throw usageError('the authorization_code grant needs at least one --redirect-uri');
  if (!grantTypes.includes('authorization_code') && redirectUris.length)
    throw usageError('--redirect-uri is only for clients with the authorization_code grant');
  const scopes = options.scope?.split(/\s+/).filter(Boolean) ?? [];
  // The scopes the provider knows: Gatehouse's own and EXTRA_SCOPES.
  const known = supportedScopes(ctx.config.extraScopes);
  const unknown = scopes.filter((s) => !known.includes(s));
  if (unknown.length)
    throw usageError(`--scope: unknown scope ${unknown.join(', ')} (known: ${known.join(' ')})`);

  const input = {
    ...(options.id ? { clientId: options.id } : {}),
    name: options.name.trim(),
    redirectUris,
    postLogoutRedirectUris: postLogout,
    grantTypes,
    public: Boolean(options.public),
    firstParty: Boolean(options.firstParty),
    ...(scopes.length ? { scope: scopes.join(' ') } : {}),
  };
  // The same validator as the admin API, on what the store will build (with a stand-in secret).
  const problems = await validateClientMetadata(
    buildClientMetadata(input, options.id ?? 'validation', options.public ? null : STAND_IN_SECRET),
    { policy: { production: ctx.config.env === 'production' }, checkSchema: providerSchema(ctx) },
  );
  const [field, problem] = Object.entries(problems)[0] ?? [];
  if (field) throw usageError(`${FLAG_OF_FIELD[field] ?? field}: ${problem}`);

  const { clients } = await ctx.services();
  if (options.id && (isReservedClientId(options.id) || (await clients.findMetadata(options.id))))
    throw conflict(`client ${options.id} already exists`);
  const { client, secret } = await clients.create(input);
  if (secret) ctx.out.note('The client secret is shown only this once: store it now.');
  ctx.out.result({ client_id: client.client_id, client_secret: secret, client: publicMetadata(client) }, () =>
    fields([
      ['client_id', client.client_id],
      ['client_secret', secret ?? '(none: public client)'],
      ['name', client.client_name ?? ''],
      ['grant_types', list(client.grant_types)],
      ['redirect_uris', list(client.redirect_uris)],
      ['scope', client.scope ?? ''],
      ['first_party', client.first_party ? 'yes' : 'no'],
    ]),
  );
}

export function register(parent: Command): void {
  parent
    .command('create')
    .description('register a client; prints its client_id and secret (the secret only this once)')
    .requiredOption('--name <name>', 'the name shown to users on the consent page')
    .option('--id <client_id>', 'the client_id (default: generated, gh_…)')
    .option('--redirect-uri <uri>', 'a redirect URI (repeat for several)', collect, [])
    .option('--post-logout-redirect-uri <uri>', 'a post-logout redirect URI (repeatable)', collect, [])
    .option(
      '--grant <type>',
      `a grant type, repeatable: ${GRANT_NAMES.join(', ')} (default: authorization_code and refresh_token)`,
      collectGrant,
      [],
    )
    .option('--public', 'a public client: no secret, PKCE required (SPAs, native apps)')
    .option('--first-party', 'a first-party client: users are not asked for consent')
    .option(
      '--scope <scopes>',
      'the scopes the client may ask for, space-separated (default: openid profile email; admin only when listed)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse client create --name "Web App" --redirect-uri https://app.example.com/callback
  $ gatehouse client create --name SPA --public --redirect-uri http://localhost:5173/callback
  $ gatehouse client create --name "Billing service" --grant client_credentials --json
  $ gatehouse client create --name "Mobile" --grant password --grant otp --grant refresh_token \\
      --first-party --scope "openid profile email offline_access"`,
    )
    .action(action(async (ctx, _args, options: ClientCreateOptions) => clientCreate(ctx, options)));
}
