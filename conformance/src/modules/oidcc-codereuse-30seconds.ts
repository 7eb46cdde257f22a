/** An authorization code used again 30 seconds later (only with --slow). */
import { defineModule } from '../module';
import { codeReuse } from '../steps/codereuse';

export default defineModule({
  name: 'oidcc-codereuse-30seconds',
  plan: 'basic',
  summary: 'a code used again after 30 seconds: invalid_grant, and the first tokens revoked',
  slow: true,
  run: (ctx) => codeReuse(ctx, 30_000),
});
