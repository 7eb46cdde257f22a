/**
 * Consent: what a client asks for, in words a person reads, and the Grant that remembers the answer.
 * A Grant is oidc-provider's record of what an account allowed a client; the provider finds it again
 * through the session (`loadExistingGrant`), and, in a new session, from the consent remembered per
 * account and client (accounts/consents.ts), so an allowed request goes straight through next time.
 * Clients flagged `first_party` in their metadata are Gatehouse's own applications: they get a Grant
 * for what they ask without a consent page (an explicit prompt=consent still shows it).
 */
import type { Client, Grant, Interaction, KoaContextWithOIDC } from 'oidc-provider';
import type { Consent, ConsentAllowed, ConsentStore } from '../accounts/consents';
import type { Account } from '../accounts/store';
import { ACCOUNT_SCOPE, ADMIN_SCOPE, mayGrantAccountScope, mayGrantAdminScope } from '../clients/scope';
import type { Translate } from './i18n';

/** Claims every ID token carries anyway; not worth asking about. */
const PROTOCOL_CLAIMS = new Set(['sub', 'sid', 'auth_time', 'acr', 'amr', 'iss']);

export interface ConsentItem {
  title: string;
  description: string;
  /** Already allowed earlier: shown for completeness, not asked again. */
  granted: boolean;
}

type ConsentDetails = {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
};

export function isFirstParty(client: Client | undefined): boolean {
  return client?.metadata().first_party === true;
}

/** Whether consent may grant the admin scope to this account through this client. */
export function adminByConsent(account: Pick<Account, 'roles'> | null, client: Client | undefined): boolean {
  return (
    Boolean(account) && mayGrantAdminScope(account!, { consent: true, firstParty: isFirstParty(client) })
  );
}

/** Whether consent may grant the account scope through this client (mayGrantAccountScope). */
export function accountByConsent(client: Client | undefined): boolean {
  return mayGrantAccountScope({ firstParty: isFirstParty(client) });
}

/**
 * The requested scopes and claims as page items, new ones first. `admin` and `account` are shown only
 * where consent may grant them (adminByConsent, accountByConsent); elsewhere they were refused before
 * the page (loadExistingGrant).
 */
export function describeRequest(
  interaction: Interaction,
  t: Translate,
  showAdmin: boolean,
  showAccount = false,
  apiNames: Readonly<Record<string, string>> = {},
): ConsentItem[] {
  const details = interaction.prompt.details as ConsentDetails;
  const missingScopes = new Set(details.missingOIDCScope ?? []);
  const scopes = String(interaction.params.scope ?? '')
    .split(' ')
    .filter(
      (scope) => scope && (scope !== ADMIN_SCOPE || showAdmin) && (scope !== ACCOUNT_SCOPE || showAccount),
    );
  const items: ConsentItem[] = scopes.map((scope) => ({
    title: scopeText(t, scope, 'title'),
    description: scopeText(t, scope, 'description'),
    granted: !missingScopes.has(scope),
  }));
  for (const claim of details.missingOIDCClaims ?? []) {
    if (PROTOCOL_CLAIMS.has(claim)) continue;
    items.push({
      title: t('consent.claim.title', { claim: claimText(t, claim) }),
      description: t('consent.claim.description'),
      granted: false,
    });
  }
  // RFC 8707: each API the request names, with the API's own scopes it asks for (by the API's
  // registered name where the caller knows it, apiNamesFor; otherwise by its identifier).
  for (const [resource, resourceScopes] of Object.entries(details.missingResourceScopes ?? {})) {
    const name = apiNames[resource];
    items.push({
      title: name
        ? t('consent.resource.named', { name, resource })
        : t('consent.resource.title', { resource }),
      description: t('consent.resource.scopes', { scopes: resourceScopes.join(', ') }),
      granted: false,
    });
  }
  return items.sort((a, b) => Number(a.granted) - Number(b.granted));
}

/** The registered names of the APIs the consent prompt asks about (describeRequest's apiNames). */
export async function apiNamesFor(
  interaction: Interaction,
  apis: { find(identifier: string): Promise<{ name: string | null } | null> },
): Promise<Record<string, string>> {
  const details = interaction.prompt.details as ConsentDetails;
  const names: Record<string, string> = {};
  for (const identifier of Object.keys(details.missingResourceScopes ?? {})) {
    const api = await apis.find(identifier);
    if (api?.name) names[identifier] = api.name;
  }
  return names;
}

function scopeText(t: Translate, scope: string, part: 'title' | 'description'): string {
  const key = `scope.${scope}.${part}`;
  const text = t(key);
  if (text !== key) return text;
  return part === 'title' ? t('scope.unknown.title', { scope }) : t('scope.unknown.description');
}

function claimText(t: Translate, claim: string): string {
  const key = `claim.${claim}`;
  const text = t(key);
  return text === key ? claim : text;
}

/**
 * Adds what the consent prompt found missing to the interaction's Grant (or a new one) and saves it;
 * returns the saved Grant.
 */
export async function grantMissing(
  provider: { Grant: typeof Grant },
  interaction: Interaction,
  accountId: string,
  options: { admin: boolean; account?: boolean },
): Promise<Grant> {
  const details = interaction.prompt.details as ConsentDetails;
  const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
  const scopes = (details.missingOIDCScope ?? []).filter(
    (scope) => (scope !== ADMIN_SCOPE || options.admin) && (scope !== ACCOUNT_SCOPE || options.account),
  );
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  // Refused, not left missing: a rejected scope is "encountered", so consent is not asked again.
  if (!options.admin && details.missingOIDCScope?.includes(ADMIN_SCOPE)) grant.rejectOIDCScope(ADMIN_SCOPE);
  if (!options.account && details.missingOIDCScope?.includes(ACCOUNT_SCOPE))
    grant.rejectOIDCScope(ACCOUNT_SCOPE);
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {}))
    grant.addResourceScope(indicator, scopes.join(' '));
  await grant.save();
  return grant;
}

/** Everything a Grant allows (its rejections left out): what the consent store remembers. */
export function allowedBy(grant: Grant): ConsentAllowed {
  const words = (value: string) => value.split(' ').filter(Boolean);
  const resourceScopes: Record<string, string[]> = {};
  for (const indicator of Object.keys(grant.resources ?? {})) {
    const scopes = words(grant.getResourceScope(indicator));
    if (scopes.length) resourceScopes[indicator] = scopes;
  }
  return {
    scopes: words(grant.getOIDCScope()),
    claims: grant.getOIDCClaims().filter((claim) => !PROTOCOL_CLAIMS.has(claim)),
    resourceScopes,
  };
}

/**
 * Whether a Grant has met everything the request asks for (allowed or refused), by the same
 * measures as the library's consent checks (lib/helpers/interaction_policy/prompts/consent.js:
 * op_scopes_missing, op_claims_missing, rs_scopes_missing). Then the consent store is not read.
 */
function coversRequest(grant: Grant | undefined, oidc: KoaContextWithOIDC['oidc']): boolean {
  if (!grant) return false;
  const scopes = new Set(grant.getOIDCScopeEncountered().split(' '));
  for (const scope of oidc.requestParamOIDCScopes) if (!scopes.has(scope)) return false;
  const claims = new Set(grant.getOIDCClaimsEncountered());
  for (const claim of oidc.requestParamClaims)
    if (!claims.has(claim) && !PROTOCOL_CLAIMS.has(claim)) return false;
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    const encountered = new Set(grant.getResourceScopeEncountered(indicator).split(' '));
    for (const scope of oidc.requestParamScopes)
      if (server.scopes.has(scope) && !encountered.has(scope)) return false;
  }
  return true;
}

/**
 * Puts a remembered consent into a Grant. `admin` and `account` only where consent may still grant
 * them (adminByConsent, accountByConsent): a role taken away since, or a client no longer first
 * party, does not get them back from an old consent.
 */
function applyConsent(grant: Grant, consent: Consent, may: { admin: boolean; account: boolean }): void {
  const scopes = consent.scopes.filter(
    (scope) => (scope !== ADMIN_SCOPE || may.admin) && (scope !== ACCOUNT_SCOPE || may.account),
  );
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  if (consent.claims.length) grant.addOIDCClaims(consent.claims);
  for (const [indicator, resourceScopes] of Object.entries(consent.resourceScopes))
    if (resourceScopes.length) grant.addResourceScope(indicator, resourceScopes.join(' '));
}

export interface GrantSources {
  accounts: { findById(id: string): Promise<Account | null> };
  /** Remembered consent (accounts/consents.ts). */
  consents: Pick<ConsentStore, 'find'>;
}

/**
 * oidc-provider's `loadExistingGrant` (lib/actions/authorization/session.js loadGrant: the Grant it
 * returns is checked against account and client, put into the session for the client, and the
 * consent prompt asks for whatever it has not met). Its sources, in order:
 * 1. the library's own: the Grant of this interaction's consent, then the session's Grant for the
 *    client;
 * 2. for a third-party client, the remembered consent of the account (accounts/consents.ts), when
 *    the Grant of (1) does not meet the request: a NEW Grant is built from it (or the session's is
 *    widened by it) and saved, so a new browser session, or one after sign-out, goes straight through
 *    for what was allowed, and a request for more asks only for the new part;
 * 3. for a first-party client, that Grant extended with whatever the request asks for, so that no
 *    consent prompt is needed.
 * For every client, `admin` is refused unless consent may grant it (adminByConsent), and `account`
 * unless accountByConsent, so that neither the consent page nor the token ever carries them otherwise.
 */
export function createLoadExistingGrant(sources: GrantSources) {
  const { accounts, consents } = sources;
  return async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
    const { oidc } = ctx;
    const client = oidc.client!;
    const firstParty = isFirstParty(client);
    const grantId =
      (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ??
      oidc.session!.grantIdFor(client.clientId);
    let existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    const accountId = oidc.account!.accountId;
    let account: Promise<Account | null> | undefined;
    const loadAccount = () => (account ??= accounts.findById(accountId));

    let fromConsent = false;
    if (!firstParty && !coversRequest(existing, oidc)) {
      const consent = await consents.find(accountId, client.clientId);
      if (consent) {
        existing ??= new oidc.provider.Grant({ accountId, clientId: client.clientId });
        const admin = consent.scopes.includes(ADMIN_SCOPE) && adminByConsent(await loadAccount(), client);
        applyConsent(existing, consent, { admin, account: accountByConsent(client) });
        fromConsent = true;
      }
    }

    const refuseAdmin =
      oidc.requestParamOIDCScopes.has(ADMIN_SCOPE) &&
      !adminByConsent(await loadAccount(), client) &&
      // Once rejected, it stays so; granted earlier (the role since taken away), it is rejected now.
      !existing?.getRejectedOIDCScope().split(' ').includes(ADMIN_SCOPE);
    // The account scope never goes to a third-party client: refused before any consent page.
    const refuseAccount =
      oidc.requestParamOIDCScopes.has(ACCOUNT_SCOPE) &&
      !accountByConsent(client) &&
      !existing?.getRejectedOIDCScope().split(' ').includes(ACCOUNT_SCOPE);
    if (!firstParty && !refuseAdmin && !refuseAccount && !fromConsent) return existing;

    const grant = existing ?? new oidc.provider.Grant({ accountId, clientId: client.clientId });
    if (refuseAdmin) grant.rejectOIDCScope(ADMIN_SCOPE);
    if (refuseAccount) grant.rejectOIDCScope(ACCOUNT_SCOPE);
    if (firstParty) {
      const scopes = [...oidc.requestParamOIDCScopes].filter((s) => s !== ADMIN_SCOPE || !refuseAdmin);
      if (scopes.length) grant.addOIDCScope(scopes.join(' '));
      const claims = [...oidc.requestParamClaims];
      if (claims.length) grant.addOIDCClaims(claims);
      for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
        const wanted = [...oidc.requestParamScopes].filter((scope) => server.scopes.has(scope));
        if (wanted.length) grant.addResourceScope(indicator, wanted.join(' '));
      }
    }
    await grant.save();
    return grant;
  };
}
