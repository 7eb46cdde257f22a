/**
 * The JWKS at jwks_uri (RFC 7517, OpenID Connect Core §10.1): a keys array, every key with a
 * non-blank distinct kid, complete public parameters, no private members, and no symmetric keys.
 */
import { defineModule } from '../module';
import { check } from '../result';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export default defineModule({
  name: 'oidcc-discovery-jwks-verification',
  plan: 'config',
  summary: 'the JWKS: distinct non-blank kids, public RSA/EC/OKP keys only, an RS256 signing key',
  async run(ctx) {
    const { jwks } = await ctx.shared.discovery();
    check(jwks.keys.length > 0, 'the JWKS has no keys');
    const kids = new Set<string>();
    for (const [index, key] of jwks.keys.entries()) {
      const label = `key ${key.kid ?? `#${index}`}`;
      check(key && typeof key === 'object', `key #${index} is not an object`);
      check(typeof key.kid === 'string' && key.kid.trim() !== '', `key #${index} has no kid or a blank one`);
      check(!kids.has(key.kid), `kid ${key.kid} appears twice`);
      kids.add(key.kid);
      check(key.kty !== 'oct', `${label} is a symmetric (oct) key`);
      const members = PRIVATE_MEMBERS.filter((m) => m in key);
      check(!members.length, `${label} publishes private members ${members.join(', ')}`);
      if (key.kty === 'RSA') check(key.n && key.e, `${label} (RSA) lacks n or e`);
      else if (key.kty === 'EC') check(key.crv && key.x && key.y, `${label} (EC) lacks crv, x or y`);
      else if (key.kty === 'OKP') check(key.crv && key.x, `${label} (OKP) lacks crv or x`);
      else check(false, `${label} has an unknown kty ${String(key.kty)}`);
      if (key.use !== undefined) check(key.use === 'sig' || key.use === 'enc', `${label} has use ${key.use}`);
    }
    check(
      jwks.keys.some((k) => k.kty === 'RSA' && (!k.use || k.use === 'sig') && (!k.alg || k.alg === 'RS256')),
      'no RSA signing key usable with RS256',
    );
  },
});
