/**
 * The account overview (/account) as a page: what it needs (the stores it reads and the ones its
 * forms change) and how it is rendered from them. The profile, the password form, the connected apps
 * (remembered consents), the sessions and a summary of the second factors, each in its section of
 * views/account.ejs, in the person's language; a form that was refused comes back with its values
 * (never a password) and the problems beside the fields.
 */
import type { Context } from 'koa';
import type { ConsentStore, Consent } from '../../accounts/consents';
import type { EmailVerification } from '../../accounts/email-verification';
import type { MfaStore } from '../../accounts/mfa/store';
import type { Account, AccountStore } from '../../accounts/store';
import type { ClientStore } from '../../clients/store';
import { SUPPORTED_SCOPES } from '../../oidc/claims';
import type { AccountSession, AccountSessions } from '../../oidc/sessions';
import type { RateLimits } from '../../security/rate-limits';
import { requestLanguage, type Translate } from '../i18n';
import type { Pages } from '../views';
import { ACCOUNT_CLIENT_ID, ACCOUNT_PATHS } from './client';
import { FORM_TOKEN_FIELD, formToken } from './csrf';
import type { AccountSessionDeps, SignedIn } from './session';
import type { SignInOptions } from './sign-in';

type ConsentView = Pick<Consent, 'clientId' | 'clientName' | 'scopes' | 'resourceScopes' | 'grantedAt'>;

export interface AccountOverviewDeps extends AccountSessionDeps, SignInOptions {
  accounts: Pick<AccountStore, 'findById' | 'updateProfile' | 'passwordPolicy' | 'changePassword'>;
  mfa: Pick<MfaStore, 'summary'>;
  consents: Pick<ConsentStore, 'list' | 'revoke'>;
  sessions: Pick<AccountSessions, 'list' | 'revoke'>;
  /** The names of the apps a session signed in to. */
  clients: Pick<ClientStore, 'findMetadata'>;
  /** Sends the link that confirms a changed address (accounts/email-verification.ts). */
  emailVerification: Pick<EmailVerification, 'request'>;
  pages: Pages;
  /** RATE_LIMIT_LOGIN: a password change checks a password, and counts like the login form. */
  rateLimits: RateLimits;
  proxy: boolean;
}

export const PROFILE_FIELDS = ['given_name', 'family_name', 'email', 'phone_number', 'locale'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
export type PasswordField = 'current_password' | 'new_password' | 'new_password_repeat';

/** A message key and its placeholders. */
export interface Message {
  key: string;
  vars?: Record<string, string | number>;
}

/** What a redirect back to the page may announce (`?done=`): a fixed list, never free text. */
export const OVERVIEW_NOTICES = {
  'profile-saved': 'account.notice.profileSaved',
  'email-changed': 'account.notice.emailChanged',
  'password-changed': 'account.notice.passwordChanged',
  'app-removed': 'account.notice.appRemoved',
  'session-ended': 'account.notice.sessionEnded',
} as const;
export type OverviewNotice = keyof typeof OVERVIEW_NOTICES;

/** A refused form, shown again. */
export interface OverviewShown {
  status?: number;
  notice?: OverviewNotice;
  profile?: { values: Record<ProfileField, string>; errors: Partial<Record<ProfileField, Message>> };
  password?: { errors: Partial<Record<PasswordField, Message>> };
}

/** User agents are the client's to choose: long enough to tell devices apart, no longer. */
const USER_AGENT_SHOWN = 160;

function deviceOf(userAgent: string | null): string | null {
  if (!userAgent) return null;
  return userAgent.length > USER_AGENT_SHOWN ? `${userAgent.slice(0, USER_AGENT_SHOWN)}…` : userAgent;
}

function profileValuesOf(account: Account): Record<ProfileField, string> {
  return {
    given_name: account.givenName ?? '',
    family_name: account.familyName ?? '',
    email: account.email ?? '',
    phone_number: account.phoneNumber ?? '',
    locale: account.locale ?? '',
  };
}

/** The consent page's order: OpenID Connect's scopes first (claims.ts), any other after them. */
function scopeRank(scope: string): number {
  const index = SUPPORTED_SCOPES.indexOf(scope);
  return index === -1 ? SUPPORTED_SCOPES.length : index;
}

/** What an app may do, in the consent page's words (`scope.<name>.title`, else `scope.unknown.title`). */
function scopeTitles(consent: ConsentView, t: Translate, has: (key: string) => boolean): string[] {
  const title = (scope: string) =>
    has(`scope.${scope}.title`) ? t(`scope.${scope}.title`) : t('scope.unknown.title', { scope });
  const titles = [...consent.scopes].sort((a, b) => scopeRank(a) - scopeRank(b)).map(title);
  for (const [resource, scopes] of Object.entries(consent.resourceScopes))
    for (const scope of scopes) titles.push(t('account.apps.resourceScope', { scope, resource }));
  return titles;
}

/** `/account/…/:param/…` with the value in it. */
export const actionFor = (path: string, param: string, value: string) =>
  path.replace(`:${param}`, encodeURIComponent(value));

export function createOverviewRenderer(deps: AccountOverviewDeps) {
  const { pages } = deps;

  /** Every app a session names: the consent's client name, else the client's, else its id. */
  async function appNames(
    sessions: AccountSession[],
    consents: ConsentView[],
    t: Translate,
  ): Promise<Map<string, string>> {
    const names = new Map<string, string>([[ACCOUNT_CLIENT_ID, t('account.apps.accountPage')]]);
    for (const consent of consents) if (consent.clientName) names.set(consent.clientId, consent.clientName);
    const unknown = [...new Set(sessions.flatMap((s) => s.clientIds))].filter((id) => !names.has(id));
    await Promise.all(
      unknown.map(async (id) => {
        const client = await deps.clients.findMetadata(id);
        names.set(id, client?.client_name ?? id);
      }),
    );
    return names;
  }

  return async function renderOverview(
    ctx: Context,
    current: SignedIn,
    shown: OverviewShown = {},
  ): Promise<void> {
    const language = requestLanguage(pages.catalog, ctx);
    const t = pages.catalog.translator(language);
    const has = (key: string) => pages.catalog.has(language, key);
    const { account } = current;
    const [summary, allConsents, sessions] = await Promise.all([
      deps.mfa.summary(account.id),
      deps.consents.list(account.id),
      deps.sessions.list(account.id),
    ]);
    // The account page itself is no app to remove: it is how the person got here.
    const consents = allConsents.filter((c) => c.clientId !== ACCOUNT_CLIENT_ID);
    const names = await appNames(sessions, allConsents, t);
    const day = new Intl.DateTimeFormat(language, { dateStyle: 'medium' });
    // The server knows no person's time zone: UTC, and said so.
    const moment = new Intl.DateTimeFormat(language, {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: 'UTC',
      timeZoneName: 'short',
    });
    const say = (message: Message | undefined) => (message ? t(message.key, message.vars) : null);
    const profileErrors = shown.profile?.errors ?? {};
    const passwordErrors = shown.password?.errors ?? {};

    ctx.status = shown.status ?? 200;
    ctx.type = 'html';
    ctx.body = await pages.render('account', language, {
      title: t('account.overview.title'),
      username: account.username,
      csrfField: FORM_TOKEN_FIELD,
      csrfToken: formToken(deps.secretKey, current.session.uid),
      paths: ACCOUNT_PATHS,
      notice: shown.notice ? t(OVERVIEW_NOTICES[shown.notice]) : null,
      profile: {
        values: shown.profile?.values ?? profileValuesOf(account),
        errors: Object.fromEntries(PROFILE_FIELDS.map((f) => [f, say(profileErrors[f])])),
        failed: Object.keys(profileErrors).length > 0,
        emailVerified: account.emailVerified,
        hasEmail: Boolean(account.email),
      },
      password: {
        errors: {
          current_password: say(passwordErrors.current_password),
          new_password: say(passwordErrors.new_password),
          new_password_repeat: say(passwordErrors.new_password_repeat),
        },
        failed: Object.keys(passwordErrors).length > 0,
        minLength: deps.accounts.passwordPolicy.minLength,
        maxLength: deps.accounts.passwordPolicy.maxLength,
      },
      mfa: {
        totpActive: summary.totp?.status === 'active',
        passkeys: summary.passkeys.length,
        recoveryCodesRemaining: summary.recoveryCodesRemaining,
      },
      apps: consents.map((consent) => ({
        name: consent.clientName ?? consent.clientId,
        clientId: consent.clientId,
        allowed: scopeTitles(consent, t, has),
        since: day.format(consent.grantedAt),
        revokeAction: actionFor(ACCOUNT_PATHS.revokeConsent, 'clientId', consent.clientId),
      })),
      sessions: sessions.map((session) => ({
        device: deviceOf(session.userAgent),
        signedIn: moment.format(session.createdAt),
        lastSeen: moment.format(session.lastSeenAt),
        apps: session.clientIds.map((id) => names.get(id) ?? id),
        current: session.id === current.session.uid,
        revokeAction: actionFor(ACCOUNT_PATHS.revokeSession, 'id', session.id),
      })),
      logoutUrl: `${deps.provider.pathFor('end_session')}?client_id=${encodeURIComponent(ACCOUNT_CLIENT_ID)}`,
    });
  };
}

export type OverviewRenderer = ReturnType<typeof createOverviewRenderer>;
