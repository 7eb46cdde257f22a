/**
 * django-oauth-toolkit applications -> Gatehouse clients, keeping client_id.
 *
 * - client_type: confidential -> client_secret_basic (oidc-provider accepts Basic and post alike,
 *   lib/shared/client_auth.js), public -> none (PKCE required, as for every public client here).
 * - authorization_grant_type -> grant_types / response_types, as DOT allows them
 *   (oauth2_validators.py GRANT_TYPE_MAPPING and validate_response_type): authorization-code ->
 *   authorization_code + refresh_token / code; password -> password + refresh_token; client-credentials
 *   -> client_credentials; implicit -> implicit / `id_token token` and `id_token` (OIDC Core §3.2: the
 *   provider does not offer the OAuth-only response type `token`, RFC 6749 §4.2, so an implicit client
 *   that asks for `token` alone must ask for `id_token token` now); openid-hybrid -> authorization_code
 *   + implicit + refresh_token / `code id_token`, `code token`, `code id_token token` (OIDC Core §3.3).
 * - redirect_uris, post_logout_redirect_uris; skip_authorization -> first_party (no consent page);
 *   algorithm RS256/HS256 -> id_token_signed_response_alg; name -> client_name.
 * - scope: `openid profile email roles offline_access` and EXTRA_SCOPES (DOT's `read write`).
 * - The secret: DOT 1.x stores it plain (-> metadata.client_secret); DOT >= 2.0 hashes it with
 *   make_password (-> clients.secret_hash, verified in its format at the first client authentication,
 *   then replaced by the plain secret; until then metadata.client_secret is random and unknown).
 *
 * Every client passes the validator the CLI and the admin API use (clients/validate.ts, with the
 * provider's own schema): one it refuses is reported with the reason and not written. A client_id
 * that a Gatehouse client holds already (one no import created) is refused too.
 */
import type { Knex } from 'knex';
import { generateSecret, isReservedClientId, type StoredClient } from '../../clients/store';
import { validateClientMetadata, type ClientPolicy, type ClientSchemaCheck } from '../../clients/validate';
import { isStorableText } from '../../db/text';
import { PASSWORD_GRANT } from '../../oidc/grants/names';
import { describeDjangoHash, verifyDjangoHash } from '../../security/django-hashes';
import type { ImportLinks } from '../links';
import type { DjangoApplication } from './source';

export const IMPORTED_CLIENT_SCOPES = ['openid', 'profile', 'email', 'roles', 'offline_access'];

export interface ApplicationImportOptions {
  policy: ClientPolicy;
  checkSchema: ClientSchemaCheck;
  extraScopes: readonly string[];
}

export interface RefusedClient {
  clientId: string;
  name: string;
  reason: string;
}

export interface ApplicationsReport {
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  refused: RefusedClient[];
  /** Clients whose secret came over hashed (verified at their first authentication). */
  hashedSecrets: number;
}

export interface ClientWrite {
  applicationId: string;
  metadata: StoredClient;
  secretHash: string | null;
  insert: boolean;
}

export interface ApplicationsPlan {
  report: ApplicationsReport;
  writes: ClientWrite[];
  /** Django application id -> client_id: every application with a client. */
  clientIdByApplicationId: Map<string, string>;
}

type ResponseTypes = NonNullable<StoredClient['response_types']>;

const GRANTS: Record<string, { grant_types: string[]; response_types: ResponseTypes; redirects: boolean }> = {
  'authorization-code': {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirects: true,
  },
  implicit: { grant_types: ['implicit'], response_types: ['id_token token', 'id_token'], redirects: true },
  password: { grant_types: [PASSWORD_GRANT, 'refresh_token'], response_types: [], redirects: false },
  'client-credentials': { grant_types: ['client_credentials'], response_types: [], redirects: false },
  'openid-hybrid': {
    grant_types: ['authorization_code', 'implicit', 'refresh_token'],
    response_types: ['code id_token', 'code token', 'code id_token token'],
    redirects: true,
  },
};

type Secret = { kind: 'none' } | { kind: 'plain'; secret: string } | { kind: 'hashed'; hash: string };

function secretOf(app: DjangoApplication): Secret | { refused: string } {
  if (app.clientType === 'public') return { kind: 'none' };
  const value = app.clientSecret;
  if (!value) return { refused: 'a confidential client without a client_secret' };
  const described = describeDjangoHash(value);
  if (described.kind === 'hash') return { kind: 'hashed', hash: value };
  // Looks like `<algorithm>$…` in a format Gatehouse cannot verify: used as a plain secret, the hash
  // itself would authenticate the client.
  if (described.kind === 'unknown' && /^[A-Za-z0-9_]{1,40}\$/.test(value))
    return { refused: 'client_secret is hashed in a format Gatehouse cannot verify' };
  return { kind: 'plain', secret: value };
}

/** The metadata of an application (its secret decided later), or why it cannot be a client. */
function metadataOf(
  app: DjangoApplication,
  options: ApplicationImportOptions,
): { metadata: StoredClient } | { refused: string } {
  const grant = GRANTS[app.authorizationGrantType];
  if (!grant)
    return {
      refused: `unknown authorization_grant_type ${JSON.stringify(app.authorizationGrantType).slice(0, 40)}`,
    };
  if (!app.clientId || !isStorableText(app.clientId) || app.clientId.length > 255)
    return { refused: 'client_id is empty or cannot be stored' };
  if (isReservedClientId(app.clientId))
    return { refused: 'client_id is reserved for a client of Gatehouse itself' };
  if (app.algorithm && app.algorithm !== 'RS256' && app.algorithm !== 'HS256')
    return { refused: `unknown algorithm ${JSON.stringify(app.algorithm).slice(0, 20)}` };
  const texts = [app.name, ...app.redirectUris, ...app.postLogoutRedirectUris];
  if (!texts.every(isStorableText))
    return { refused: 'name or a redirect URI holds characters that cannot be stored' };
  const metadata: StoredClient = {
    client_id: app.clientId,
    ...(app.name ? { client_name: app.name } : {}),
    token_endpoint_auth_method: app.clientType === 'public' ? 'none' : 'client_secret_basic',
    grant_types: grant.grant_types,
    response_types: grant.response_types,
    redirect_uris: grant.redirects ? app.redirectUris : [],
    post_logout_redirect_uris: grant.redirects ? app.postLogoutRedirectUris : [],
    scope: [...new Set([...IMPORTED_CLIENT_SCOPES, ...options.extraScopes])].join(' '),
    ...(app.algorithm ? { id_token_signed_response_alg: app.algorithm as 'RS256' | 'HS256' } : {}),
    ...(app.skipAuthorization ? { first_party: true } : {}),
  };
  return { metadata };
}

interface ClientState {
  client_id: string;
  metadata: StoredClient;
  secret_hash: string | null;
}

/** Stable JSON: keys sorted, so that two equal metadata objects compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * The secret the client gets: the plain one; for a hashed one, what holds it already when the hash
 * is unchanged (the random stand-in, or the plain secret that replaced the hash when the client
 * authenticated with it: verified here, so that a second run does not bring the hash back).
 */
async function secretFields(
  secret: Secret,
  current: ClientState | undefined,
): Promise<{ client_secret?: string; secretHash: string | null }> {
  if (secret.kind === 'none') return { secretHash: null };
  if (secret.kind === 'plain') return { client_secret: secret.secret, secretHash: null };
  const held =
    typeof current?.metadata.client_secret === 'string' ? current.metadata.client_secret : undefined;
  if (held && current?.secret_hash === secret.hash) return { client_secret: held, secretHash: secret.hash };
  if (held && current?.secret_hash === null && (await verifyDjangoHash(held, secret.hash)))
    return { client_secret: held, secretHash: null };
  return { client_secret: generateSecret(), secretHash: secret.hash };
}

export async function planApplications(
  trx: Knex.Transaction,
  links: ImportLinks,
  applications: DjangoApplication[],
  options: ApplicationImportOptions,
): Promise<ApplicationsPlan> {
  const report: ApplicationsReport = {
    total: applications.length,
    created: 0,
    updated: 0,
    unchanged: 0,
    refused: [],
    hashedSecrets: 0,
  };
  const plan: ApplicationsPlan = { report, writes: [], clientIdByApplicationId: new Map() };
  const linked = await links.all('application');
  const ids = applications.map((a) => a.clientId).filter(isStorableText);
  const existing = new Map<string, ClientState>();
  for (let i = 0; i < ids.length; i += 1000) {
    const rows: ClientState[] = await trx('clients')
      .select('client_id', 'metadata', 'secret_hash')
      .whereIn('client_id', ids.slice(i, i + 1000));
    for (const row of rows) existing.set(row.client_id, row);
  }
  const refuse = (app: DjangoApplication, reason: string) =>
    report.refused.push({ clientId: app.clientId, name: app.name, reason });

  for (const app of applications) {
    const mapped = metadataOf(app, options);
    if ('refused' in mapped) {
      refuse(app, mapped.refused);
      continue;
    }
    const base = mapped.metadata;
    const current = existing.get(app.clientId);
    if (!current && linked.get(app.id) === app.clientId) {
      // An operator deleted it at Gatehouse since an earlier run: not brought back.
      refuse(app, 'deleted at Gatehouse since an earlier import');
      continue;
    }
    if (current && linked.get(app.id) !== app.clientId) {
      refuse(app, 'a Gatehouse client of this client_id exists that no import of this application created');
      continue;
    }
    const secret = secretOf(app);
    if ('refused' in secret) {
      refuse(app, secret.refused);
      continue;
    }
    if (secret.kind === 'hashed' && app.algorithm === 'HS256') {
      // HS256 ID tokens are signed with the client secret (OIDC Core §10.1), which is unknown here.
      refuse(app, 'HS256 signs ID tokens with the client secret, and DOT stored it hashed: use RS256');
      continue;
    }
    const { secretHash, client_secret } = await secretFields(secret, current);
    const metadata: StoredClient = { ...base, ...(client_secret ? { client_secret } : {}) };
    const problems = await validateClientMetadata(metadata, {
      policy: options.policy,
      checkSchema: options.checkSchema,
    });
    const [field, problem] = Object.entries(problems)[0] ?? [];
    if (field) {
      refuse(app, `${field} ${problem}`);
      continue;
    }
    if (secretHash) report.hashedSecrets += 1;
    plan.clientIdByApplicationId.set(app.id, app.clientId);
    if (!current) {
      report.created += 1;
      plan.writes.push({ applicationId: app.id, metadata, secretHash, insert: true });
    } else if (canonical(current.metadata) === canonical(metadata) && current.secret_hash === secretHash) {
      report.unchanged += 1;
    } else {
      report.updated += 1;
      plan.writes.push({ applicationId: app.id, metadata, secretHash, insert: false });
    }
  }
  // Clients of applications linked earlier that failed validation now still exist: their tokens may name them.
  for (const [applicationId, clientId] of linked)
    if (!plan.clientIdByApplicationId.has(applicationId) && existing.has(clientId))
      plan.clientIdByApplicationId.set(applicationId, clientId);
  return plan;
}

/** Writes the plan through the client store on the caller's transaction, and the links. */
export async function writeApplications(
  trx: Knex.Transaction,
  links: ImportLinks,
  plan: ApplicationsPlan,
  save: (trx: Knex.Transaction, metadata: StoredClient, secretHash: string | null) => Promise<void>,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  let done = 0;
  for (const write of plan.writes) {
    await save(trx, write.metadata, write.secretHash);
    onProgress?.(++done, plan.writes.length);
  }
  await links.record(
    'application',
    plan.writes.map((w) => ({ sourceKey: w.applicationId, targetId: w.metadata.client_id })),
  );
}
