/**
 * Parameter checks shared by the extension grants. The library has already dropped parameters the
 * grant did not declare and rejected repeated ones.
 */
import { errors, type KoaContextWithOIDC } from 'oidc-provider';

/** The named parameters as strings; a missing or empty one is `invalid_request` naming it (RFC 6749 §5.2). */
export function requireParams(ctx: KoaContextWithOIDC, names: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) {
    const value = ctx.oidc.params?.[name];
    if (typeof value !== 'string' || value === '')
      throw new errors.InvalidRequest(`missing required parameter '${name}'`);
    values[name] = value;
  }
  return values;
}
