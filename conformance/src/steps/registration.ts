/**
 * Steps the Dynamic OP plan's modules share: a registered client's metadata echoed in the
 * registration response (RFC 7591 §3.2.1), the person's sign-in with it, and whether the pages the
 * person saw show one of its URIs (Dynamic Client Registration §2: logo_uri, policy_uri, tos_uri
 * "SHOULD" be displayed to the End-User).
 */
import type { ModuleContext } from '../context';
import { check } from '../result';
import { happyFlow } from './flows';
import { linksOf } from './page-links';

/**
 * Registers a client with `field` set to `uri`, checks the response echoes it, signs in, and checks a
 * page the person saw links it (`tag`: a link, or an image for a logo). A page that does not is a
 * warning: the suite leaves this to a reviewer's look at its screenshots.
 */
export async function displayedUri(
  ctx: ModuleContext,
  field: 'logo_uri' | 'policy_uri' | 'tos_uri',
  tag: 'a' | 'img',
): Promise<void> {
  const uri = `https://rp.example.com/${field.replace('_uri', '')}.${tag === 'img' ? 'png' : 'html'}`;
  const registered = await ctx.registerClient({ [field]: uri });
  check(
    registered.metadata[field] === uri,
    `the registration response's ${field} is ${String(registered.metadata[field])}, not ${uri}`,
  );
  const { person } = await happyFlow(ctx, ctx.asClient(registered), ctx.options.redirectUri, 'code');
  const shown = person.seen.some((page) =>
    linksOf(page.html, page.url).some((l) => l.tag === tag && l.url === uri),
  );
  if (!shown)
    ctx.warn(
      `no page the person saw shows the client's ${field} (${tag === 'img' ? 'an image' : 'a link'}; the suite asks a reviewer)`,
    );
}
