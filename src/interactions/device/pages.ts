/**
 * The device flow's pages (RFC 8628 §3.3), rendered by the provider through features.deviceFlow: the
 * user-code entry at the verification URI, the confirmation once the code is found ("Sign in to
 * <client> on your device?", §5.4: the person compares the code and sees which device asked), and
 * the success page. Gatehouse's layout, languages and no-store like every other page; the forms are
 * the library's (the same fields and xsrf secret), without its inline script. A person not signed in
 * goes through the normal login interaction between confirmation and success.
 */
import type { Client, KoaContextWithOIDC } from 'oidc-provider';
import type { AccountStore } from '../../accounts/store';
import { USER_CODE_CHARSET } from '../../oidc/features/device-flow';
import { userCodeFormSecret, userCodeRefusal } from '../../oidc/internals';
import type { ProviderExtensions } from '../../oidc/provider';
import { requestLanguage, type Translate } from '../i18n';
import type { Pages } from '../views';

type Locals = (t: Translate) => Record<string, unknown> & { title: string };

async function respond(ctx: KoaContextWithOIDC, pages: Pages, view: string, locals: Locals): Promise<void> {
  const language = requestLanguage(pages.catalog, ctx);
  const html = await pages.render(view, language, locals(pages.catalog.translator(language)));
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.body = html;
}

function clientName(client: Client | undefined): string {
  return client ? (client.clientName ?? client.clientId) : '';
}

/** What the confirmation shows of the device that asked: the library's deviceInfo (ip, ua). */
function deviceFacts(info: unknown): { ip?: string; ua?: string } | null {
  if (!info || typeof info !== 'object') return null;
  const { ip, ua } = info as { ip?: unknown; ua?: unknown };
  const facts = {
    ...(typeof ip === 'string' && ip && { ip }),
    ...(typeof ua === 'string' && ua && { ua: ua.slice(0, 200) }),
  };
  return Object.keys(facts).length ? facts : null;
}

/** The user code as entered, shown again in the field after a refusal; never more than a field holds. */
function enteredCode(err: unknown): string {
  const code = (err as { userCode?: unknown } | undefined)?.userCode;
  return typeof code === 'string' ? code.slice(0, 64) : '';
}

export function createDevicePageConfiguration(deps: {
  pages: Pages;
  accounts: AccountStore;
}): ProviderExtensions {
  const { pages, accounts } = deps;
  return {
    features: {
      deviceFlow: {
        async userCodeInputSource(ctx, _form, _out, err) {
          const refusal = userCodeRefusal(err);
          await respond(ctx, pages, 'device-code', (t) => ({
            title: t('device.code.title'),
            action: ctx.oidc.urlFor('code_verification'),
            xsrf: userCodeFormSecret(ctx),
            userCode: enteredCode(err),
            digits: USER_CODE_CHARSET === 'digits',
            error: refusal ? t(`device.code.error.${refusal}`) : null,
          }));
        },
        async userCodeConfirmSource(ctx, _form, client, deviceInfo, userCode) {
          const { session } = ctx.oidc;
          const account = session?.accountId ? await accounts.findById(session.accountId) : null;
          await respond(ctx, pages, 'device-confirm', (t) => ({
            title: t('device.confirm.title', { client: clientName(client) }),
            action: ctx.oidc.urlFor('code_verification'),
            xsrf: userCodeFormSecret(ctx),
            userCode,
            device: deviceFacts(deviceInfo),
            username: account?.username ?? null,
          }));
        },
        async successSource(ctx) {
          await respond(ctx, pages, 'device-success', (t) => ({
            title: t('device.success.title'),
            client: clientName(ctx.oidc.client),
          }));
        },
      },
    },
  };
}
