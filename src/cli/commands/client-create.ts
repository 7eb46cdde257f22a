/**
 * `gatehouse client create`: registers a client and prints its id and secret, once (the seed's
 * create_oauth_app). The metadata is RFC 7591's, as the admin API takes it: a `--metadata` JSON file
 * (or `-` for stdin) of any of its fields, and the flags, which override the file. The flags are
 * checked here, then the metadata they build goes through the one client validator
 * (clients/validate.ts, as for the admin API), so that a client the provider would refuse to load
 * is never stored. `--json` prints RFC 7591 §3.2.1's client information, as the admin API answers.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import {
  clientMetadataInput,
  generateClientId,
  needsSecret,
  newClientMetadata,
  type ClientMetadataInput,
} from '../../clients/metadata';
import { generateSecret, isReservedClientId, publicMetadata } from '../../clients/store';
import { validateClientMetadata, type ClientSchemaCheck } from '../../clients/validate';
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
  name?: string;
  metadata?: string;
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
  client_name: '--name',
  grant_types: '--grant',
  redirect_uris: '--redirect-uri',
  post_logout_redirect_uris: '--post-logout-redirect-uri',
  scope: '--scope',
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

/** The `--metadata` file (`-`: stdin) as RFC 7591 metadata; a problem names the file and the field. */
function readMetadataFile(path: string): Partial<ClientMetadataInput> {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw usageError(`--metadata: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw usageError(`--metadata: ${path} is not JSON`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw usageError(`--metadata: ${path} must hold a JSON object of client metadata`);
  const parsed = clientMetadataInput.partial({ client_name: true }).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field =
      issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.') || 'body';
    const problem = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
    throw usageError(`--metadata: ${field}: ${problem}`);
  }
  return parsed.data;
}

/** The file's metadata with the flags given on top (a flag overrides the file's field). */
function mergeFlags(file: Partial<ClientMetadataInput>, options: ClientCreateOptions): ClientMetadataInput {
  const grants = [...new Set(options.grant.map((g) => GRANT_TYPES[g]!))];
  const merged: Partial<ClientMetadataInput> = { ...file };
  if (options.name !== undefined) merged.client_name = options.name.trim();
  if (options.id !== undefined) merged.client_id = options.id;
  if (options.redirectUri.length)
    merged.redirect_uris = options.redirectUri.map((u) => checkUri('--redirect-uri', u));
  if (options.postLogoutRedirectUri.length)
    merged.post_logout_redirect_uris = options.postLogoutRedirectUri.map((u) =>
      checkUri('--post-logout-redirect-uri', u),
    );
  if (grants.length) merged.grant_types = grants as ClientMetadataInput['grant_types'];
  if (options.public) merged.token_endpoint_auth_method = 'none';
  if (options.firstParty) merged.first_party = true;
  if (options.scope !== undefined) merged.scope = options.scope.split(/\s+/).filter(Boolean).join(' ');
  if (!merged.client_name)
    throw usageError('--name (or client_name in --metadata) is required and not empty');
  return merged as ClientMetadataInput;
}

export async function clientCreate(ctx: CommandContext, options: ClientCreateOptions): Promise<void> {
  const input = mergeFlags(options.metadata ? readMetadataFile(options.metadata) : {}, options);
  const grantTypes = input.grant_types ?? ['authorization_code', 'refresh_token'];
  const redirectUris = input.redirect_uris ?? [];
  if (input.client_id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(input.client_id))
    throw usageError('--id: letters, digits and . _ : - only, at most 128 characters');
  const redirects = grantTypes.includes('authorization_code') || grantTypes.includes('implicit');
  if (redirects && !redirectUris.length)
    throw usageError('the authorization_code grant needs at least one --redirect-uri');
  if (!redirects && redirectUris.length)
    throw usageError('--redirect-uri is only for clients with the authorization_code grant');
  const scopes = input.scope?.split(' ').filter(Boolean) ?? [];
  // The scopes the provider knows: Gatehouse's own and EXTRA_SCOPES.
  const known = supportedScopes(ctx.config.extraScopes);
  const unknown = scopes.filter((s) => !known.includes(s));
  if (unknown.length)
    throw usageError(`--scope: unknown scope ${unknown.join(', ')} (known: ${known.join(' ')})`);
  if (!scopes.length) delete input.scope;

  const clientId = input.client_id ?? generateClientId();
  const draft = newClientMetadata(input, clientId, null, Math.floor(Date.now() / 1000));
  // A secret only for a client that uses one (RFC 7591 §3.2.1), as the admin API does.
  const secret = needsSecret(draft) ? generateSecret() : null;
  const metadata = secret ? { ...draft, client_secret: secret } : draft;
  // The same validator as the admin API, on what will be stored.
  const problems = await validateClientMetadata(metadata, {
    policy: { production: ctx.config.env === 'production' },
    checkSchema: providerSchema(ctx),
  });
  const [field, problem] = Object.entries(problems)[0] ?? [];
  if (field) throw usageError(`${FLAG_OF_FIELD[field] ?? field}: ${problem}`);

  const { clients } = await ctx.services();
  if (isReservedClientId(clientId) || !(await clients.insert(metadata)))
    throw conflict(`client ${clientId} already exists`);
  if (secret) ctx.out.note('The client secret is shown only this once: store it now.');
  ctx.out.result(
    { ...publicMetadata(metadata), ...(secret && { client_secret: secret, client_secret_expires_at: 0 }) },
    () =>
      fields([
        ['client_id', clientId],
        ['client_secret', secret ?? `(none: ${metadata.token_endpoint_auth_method} client)`],
        ['name', metadata.client_name ?? ''],
        ['auth_method', metadata.token_endpoint_auth_method ?? ''],
        ['grant_types', list(metadata.grant_types)],
        ['redirect_uris', list(metadata.redirect_uris)],
        ['scope', metadata.scope ?? ''],
        ['first_party', metadata.first_party ? 'yes' : 'no'],
      ]),
  );
}

export function register(parent: Command): void {
  parent
    .command('create')
    .description('register a client; prints its client_id and secret (the secret only this once)')
    .option('--name <name>', 'the name shown to users on the consent page (client_name)')
    .option(
      '--metadata <file>',
      'RFC 7591 client metadata, a JSON object (- for stdin); the flags override its fields',
    )
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
      --first-party --scope "openid profile email offline_access"
  $ gatehouse client create --metadata client.json --json
  $ echo '{"client_name":"Jobs","grant_types":["client_credentials"],
      "token_endpoint_auth_method":"client_secret_post"}' | gatehouse client create --metadata -`,
    )
    .action(action(async (ctx, _args, options: ClientCreateOptions) => clientCreate(ctx, options)));
}
