/**
 * The signing keys (oidc/keys.ts): the age of the oldest active key, and whether SECRET_KEY still
 * opens the stored keys and cookie secrets (a SECRET_KEY changed without re-encrypting them stops
 * every node at its start).
 *
 * Gatehouse rotates only when told (`gatehouse keys rotate`). A rotation is due after 90 days (a
 * warning); a key that has signed for more than a year is serious: NIST SP 800-57 Part 1 Rev. 5
 * §5.3.6 puts the cryptoperiod of a private signature key at one to three years, and a short one
 * bounds what a key that leaked unnoticed can sign.
 */
import { KeyStore } from '../../oidc/keys';
import {
  ageInDays,
  count,
  finding,
  ok,
  serious,
  warning,
  type CheckContext,
  type DatabaseCheck,
} from './finding';

export const KEY_ROTATION_WARNING_DAYS = 90;
export const KEY_ROTATION_SERIOUS_DAYS = 365;

async function keyAge(ctx: CheckContext) {
  const keys = await new KeyStore(ctx.db, ctx.config.secretKey).list();
  const active = keys.filter((k) => k.status === 'active');
  if (!active.length)
    return [
      warning(
        'keys.age',
        'no active signing key yet: a server creates them at its first start (or run `gatehouse keys rotate`)',
        { active: 0 },
      ),
    ];
  const oldest = active.reduce((a, b) => (a.createdAt <= b.createdAt ? a : b));
  const days = ageInDays(new Date(oldest.createdAt), ctx.now);
  const details = {
    kid: oldest.kid,
    alg: oldest.alg,
    created_at: new Date(oldest.createdAt).toISOString(),
    age_days: days,
    warning_days: KEY_ROTATION_WARNING_DAYS,
    serious_days: KEY_ROTATION_SERIOUS_DAYS,
  };
  const severity =
    days > KEY_ROTATION_SERIOUS_DAYS ? 'serious' : days > KEY_ROTATION_WARNING_DAYS ? 'warning' : 'ok';
  const message =
    severity === 'ok'
      ? `oldest active signing key ${oldest.kid} (${oldest.alg}) is ${days} days old; rotation due after ${KEY_ROTATION_WARNING_DAYS}`
      : `oldest active signing key ${oldest.kid} (${oldest.alg}) is ${days} days old: rotation is due ` +
        `(after ${KEY_ROTATION_WARNING_DAYS} days): run \`gatehouse keys rotate\``;
  return [finding(severity, 'keys.age', message, details)];
}

async function secretKeyOpensKeys(ctx: CheckContext) {
  try {
    const material = await new KeyStore(ctx.db, ctx.config.secretKey).load();
    return [
      ok(
        'keys.secret_key',
        `SECRET_KEY opens the ${count(material.jwks.keys.length, 'signing key')} in use and the cookie secrets`,
      ),
    ];
  } catch (err) {
    // Only SecretBox's refusals (security/secret-box.ts) are about SECRET_KEY; anything else is the check failing.
    if (!/^(cannot decrypt stored secrets|unknown sealed secret format)/.test((err as Error).message))
      throw err;
    return [
      serious(
        'keys.secret_key',
        `the stored signing keys cannot be opened: ${(err as Error).message}; servers will not start`,
      ),
    ];
  }
}

export const keyChecks: DatabaseCheck[] = [
  { name: 'keys.age', run: keyAge },
  { name: 'keys.secret_key', run: secretKeyOpensKeys },
];
