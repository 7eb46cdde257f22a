/** Every standard scope at once (OpenID Connect Core §5.4). */
import { defineModule } from '../module';
import { scopeModule } from '../steps/shared';

export default defineModule({
  name: 'oidcc-scope-all',
  plan: 'basic',
  summary: 'scope openid profile email address phone: UserInfo releases claims of each',
  run: (ctx) => scopeModule(ctx, ['profile', 'email', 'address', 'phone']),
});
