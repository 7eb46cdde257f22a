/**
 * The Dynamic OP plan's oidcc-registration-logo-uri: a client registered with logo_uri (OpenID
 * Connect Dynamic Client Registration §2) is accepted, the response echoes it, the person signs in
 * with it, and a page the person saw shows it (a warning when none does).
 */
import { defineModule } from '../module';
import { displayedUri } from '../steps/registration';

export default defineModule({
  name: 'oidcc-registration-logo-uri',
  plan: 'dynamic',
  summary: 'a client registered with logo_uri: echoed, signs in, the pages show it',
  async run(ctx) {
    await displayedUri(ctx, 'logo_uri', 'img');
  },
});
