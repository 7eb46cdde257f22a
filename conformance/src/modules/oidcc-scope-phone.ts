/** The phone scope (OpenID Connect Core §5.4): granted, and its claims released at UserInfo. */
import { defineModule } from '../module';
import { scopeModule } from '../steps/shared';

export default defineModule({
  name: 'oidcc-scope-phone',
  plan: 'basic',
  summary: 'scope openid phone: UserInfo releases phone claims',
  run: (ctx) => scopeModule(ctx, ['phone']),
});
