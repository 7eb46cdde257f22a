/** An authorization code used twice at once. */
import { defineModule } from '../module';
import { codeReuse } from '../steps/codereuse';

export default defineModule({
  name: 'oidcc-codereuse',
  plan: 'basic',
  summary: 'a code used twice: invalid_grant, and the first tokens revoked',
  run: (ctx) => codeReuse(ctx, 0),
});
