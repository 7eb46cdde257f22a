/** The profile scope (OpenID Connect Core §5.4): granted, and its claims released at UserInfo. */
import { defineModule } from '../module';
import { scopeModule } from '../steps/shared';

export default defineModule({
  name: 'oidcc-scope-profile',
  plan: 'basic',
  summary: 'scope openid profile: UserInfo releases profile claims',
  run: (ctx) => scopeModule(ctx, ['profile']),
});
