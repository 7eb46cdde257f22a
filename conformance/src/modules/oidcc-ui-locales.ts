/** ui_locales (OpenID Connect Core §3.1.2.1): accepted; the page in that language is recorded. */
import { defineModule } from '../module';

export default defineModule({
  name: 'oidcc-ui-locales',
  plan: 'basic',
  summary: 'ui_locales is accepted (a supported non-default language when discovery lists one)',
  async run(ctx) {
    const supported = (await ctx.metadata()).ui_locales_supported;
    const locales = Array.isArray(supported) ? (supported as string[]) : [];
    // The suite sends "se"; a language the OP lists makes the recorded page worth looking at.
    const locale = locales.find((l) => !l.startsWith('en')) ?? 'se';
    await ctx.signIn({ ui_locales: locale });
  },
});
