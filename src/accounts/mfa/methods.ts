/**
 * How a person signed in, as tokens say it: `amr` values of RFC 8176 §2 and Gatehouse's two `acr`
 * values (OpenID Connect Core §2: the level the authentication satisfied). The protocol layer puts
 * them in ID tokens, introspection and discovery; this module only decides them.
 *
 * Two factors (`mfa`, acr `urn:gatehouse:acr:mfa`) are two different kinds of proof: something known
 * (a password), something held (an authenticator app's code, a recovery code, a passkey), something
 * the holder's authenticator verified (a passkey's user verification, RFC 8176 `user`).
 */

/** One factor shown (a password, or a delivered one-time code). */
export const ACR_ONE_FACTOR = 'urn:gatehouse:acr:pwd';
/** Two factors of different kinds. */
export const ACR_TWO_FACTORS = 'urn:gatehouse:acr:mfa';
/** What discovery advertises (acr_values_supported), weakest first. */
export const ACR_VALUES = [ACR_ONE_FACTOR, ACR_TWO_FACTORS] as const;

/**
 * RFC 8176 method references Gatehouse emits: `pwd` password, `otp` one-time password (an
 * authenticator app's code, a recovery code, a delivered code), `hwk`/`swk` proof of a hardware- or
 * software-secured key (a device-bound or a synced passkey), `user` the authenticator verified the
 * person (WebAuthn user verification), `mfa` more than one kind of factor.
 */
export type Method = 'pwd' | 'otp' | 'hwk' | 'swk' | 'user' | 'mfa';

const KIND: Record<Exclude<Method, 'mfa'>, 'know' | 'have' | 'verified'> = {
  pwd: 'know',
  otp: 'have',
  hwk: 'have',
  swk: 'have',
  user: 'verified',
};

export interface SignInMethods {
  amr: Method[];
  acr: string;
}

/** The amr and acr of a sign-in that showed these methods (in the order shown; `mfa` is added). */
export function signInMethods(shown: readonly Method[]): SignInMethods {
  const methods = [...new Set(shown.filter((m): m is Exclude<Method, 'mfa'> => m !== 'mfa'))];
  const kinds = new Set(methods.map((m) => KIND[m]));
  const two = kinds.size >= 2;
  return { amr: two ? [...methods, 'mfa'] : methods, acr: two ? ACR_TWO_FACTORS : ACR_ONE_FACTOR };
}

/** Whether MFA_REQUIRED_ROLES makes two factors mandatory for an account with these roles. */
export function rolesRequireSecondFactor(
  roles: readonly string[],
  requiredRoles: readonly string[],
): boolean {
  return roles.some((role) => requiredRoles.includes(role));
}

/** Whether a token's or a session's amr says two factors were shown. */
export function isMultiFactor(amr: readonly string[] | undefined): boolean {
  return Boolean(amr?.includes('mfa'));
}

/**
 * The acr to report for a sign-in that reached `achieved`, given the levels the relying party asked
 * for: a two-factor sign-in satisfies a request for one factor too, so when only that was asked, that
 * is what the token says (reporting a level nobody asked for would send the library's essential-acr
 * check round again).
 */
export function reportedAcr(achieved: string, requested: readonly string[]): string {
  if (!requested.length || requested.includes(achieved)) return achieved;
  if (achieved === ACR_TWO_FACTORS && requested.includes(ACR_ONE_FACTOR)) return ACR_ONE_FACTOR;
  return achieved;
}
