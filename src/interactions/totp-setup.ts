/**
 * The locals of views/partials/totp-setup.ejs (the QR code, the secret for typing, the code field),
 * shared by the login's enrollment page and the /account/mfa page.
 *
 * The QR code is an SVG string from the `qrcode` package. It is shown as an <img> with a data: URI
 * (base64), never printed into the page: no unescaped markup, and the CSP's `img-src 'self' data:`
 * allows it.
 */
import QRCode from 'qrcode';
import type { TotpEnrollment } from '../accounts/mfa/totp';

export interface TotpSetupLocals {
  /** `data:image/svg+xml;base64,…`: the otpauth URI as a QR code. */
  qrImage: string;
  /** The base32 secret in groups of four (`ABCD EFGH …`): apps ignore the spaces. */
  secretGroups: string;
  /** The otpauth URI, echoed by the enrollment form so a wrong code can show the same setup again. */
  otpauthUri: string;
}

export function totpSetupLocals(enrollment: TotpEnrollment): TotpSetupLocals {
  return {
    qrImage: `data:image/svg+xml;base64,${Buffer.from(enrollment.qrSvg, 'utf8').toString('base64')}`,
    secretGroups: (enrollment.secret.match(/.{1,4}/g) ?? []).join(' '),
    otpauthUri: enrollment.otpauthUri,
  };
}

/** RFC 4648 §6 base32, as otplib writes secrets; bounded so a posted value cannot grow the QR code. */
const BASE32_SECRET = /^[A-Z2-7]{16,128}=*$/;

/**
 * The same setup again, from the otpauth URI the enrollment form echoed (after a wrong code, the
 * person keeps the entry their app already has). Null for anything but an otpauth TOTP URI with a
 * base32 secret. The URI only ever reaches the browser that posted it: the secret that counts is
 * the one sealed in the database, which confirmTotp checks the code against.
 */
export async function redisplayTotpSetup(posted: unknown): Promise<TotpEnrollment | null> {
  if (typeof posted !== 'string' || posted.length > 1024) return null;
  let uri: URL;
  try {
    uri = new URL(posted);
  } catch {
    return null;
  }
  const secret = uri.searchParams.get('secret');
  if (uri.protocol !== 'otpauth:' || uri.host !== 'totp' || !secret || !BASE32_SECRET.test(secret))
    return null;
  const qrSvg = await QRCode.toString(posted, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, otpauthUri: posted, qrSvg };
}
