/**
 * The provider's own client schema for the CLI: a provider built with the server's configuration and
 * never started, so that `gatehouse client create` refuses what a server would refuse to load,
 * exactly as the admin API does. Which signing algorithms a client may name depends on the keys the
 * provider holds, so it holds throwaway keys of the algorithms every server has (oidc/keys.ts
 * SIGNING_ALGS), not the database's. Required only by the command that validates a client, when it
 * does: the rest of the CLI starts without loading oidc-provider.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { Provider } from 'oidc-provider';
import type { ClientSchemaCheck } from '../clients/validate';
import type { Config } from '../config';
import { EXTENSION_GRANT_TYPES } from '../oidc/grants/names';
import { validateClientSchema } from '../oidc/internals';
import { SIGNING_ALGS, type KeyMaterial, type SigningAlg } from '../oidc/keys';
import { buildConfiguration, type ProviderDeps } from '../oidc/provider';

function throwawayKey(alg: SigningAlg, label: string): JWK {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: `${label}-${alg}`, alg, use: 'sig' };
}

/**
 * Keys for a provider that never signs anything the world sees (the CLI's schema check, the import's
 * token writer): the provider wants a key of every algorithm it offers before it is built.
 */
export function throwawayKeys(label: string): KeyMaterial {
  return {
    jwks: { keys: SIGNING_ALGS.map((alg) => throwawayKey(alg, label)) },
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
}

export function createClientSchemaCheck(config: Config, deps: Omit<ProviderDeps, 'keys'>): ClientSchemaCheck {
  const keys = throwawayKeys('schema-check');
  const provider = new Provider(config.issuer, buildConfiguration(config, { ...deps, keys }));
  // A client may list a grant type only once the provider knows it (lib/helpers/client_schema.js
  // reads the registered grant types): the extension grants are named here, never run.
  for (const grantType of EXTENSION_GRANT_TYPES)
    provider.registerGrantType(grantType, async function neverRuns() {
      throw new Error('the schema check provider answers no requests');
    });
  return (metadata) => validateClientSchema(provider, metadata);
}
