/** The address scope (OpenID Connect Core §5.4): granted, and its claims released at UserInfo. */
import { defineModule } from '../module';
import { scopeModule } from '../steps/shared';

export default defineModule({
  name: 'oidcc-scope-address',
  plan: 'basic',
  summary: 'scope openid address: UserInfo releases address claims',
  run: (ctx) => scopeModule(ctx, ['address']),
});
