/** display=page (OpenID Connect Core §3.1.2.1): the request succeeds; the login page is recorded. */
import { defineModule } from '../module';

export default defineModule({
  name: 'oidcc-display-page',
  plan: 'basic',
  summary: 'display=page succeeds (login page recorded for review)',
  async run(ctx) {
    await ctx.signIn({ display: 'page' });
  },
});
