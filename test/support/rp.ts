/**
 * openid-client (a certified relying party) set up against a test node.
 */
import * as oidc from 'openid-client';

export { oidc };

export async function discover(
  issuer: string,
  clientId: string,
  clientSecret?: string,
  auth: 'basic' | 'post' | 'none' = clientSecret ? 'basic' : 'none',
): Promise<oidc.Configuration> {
  const clientAuth =
    auth === 'none'
      ? oidc.None()
      : auth === 'post'
        ? oidc.ClientSecretPost(clientSecret!)
        : oidc.ClientSecretBasic(clientSecret!);
  return oidc.discovery(new URL(issuer), clientId, clientSecret, clientAuth, {
    execute: [oidc.allowInsecureRequests],
  });
}
