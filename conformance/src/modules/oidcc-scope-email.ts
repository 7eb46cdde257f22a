/** The email scope (OpenID Connect Core §5.4): granted, and its claims released at UserInfo. */
import { defineModule } from '../module';
import { scopeModule } from '../steps/shared';

export default defineModule({
  name: 'oidcc-scope-email',
  plan: 'basic',
  summary: 'scope openid email: UserInfo releases email claims',
  run: (ctx) => scopeModule(ctx, ['email']),
});
