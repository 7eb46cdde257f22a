/**
 * `gatehouse client registration-token create [--expires-in SECONDS]`: an initial access token for
 * dynamic client registration (RFC 7591 §3, CLIENT_REGISTRATION=token), printed once.
 *
 * The token is the provider's InitialAccessToken model, saved through the adapter by a provider built
 * from the same configuration as a node's and never started (as the import's token writer is,
 * cli/import-provider.ts). oidc-provider is loaded only when this command runs, so that the rest of
 * the CLI starts without it (oidc/registration-tokens.ts imports only its types).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { action, type CommandContext } from '../context';
import { refused } from '../errors';
import {
  DEFAULT_REGISTRATION_TOKEN_TTL as DEFAULT_TTL,
  REGISTRATION_TOKEN_TTL_RANGE as TTL,
  createRegistrationToken,
} from '../../oidc/registration-tokens';
import { fields, formatDate } from '../output';

export function parseExpiresIn(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < TTL.min || n > TTL.max)
    throw new InvalidArgumentError(`a number of seconds from ${TTL.min} to ${TTL.max}.`);
  return n;
}

export async function clientRegistrationTokenCreate(
  ctx: CommandContext,
  options: { expiresIn?: number },
): Promise<void> {
  const { config } = ctx;
  if (config.clientRegistration === 'off')
    throw refused('client registration is off (CLIENT_REGISTRATION=off): no token would be accepted');
  const services = await ctx.services();
  const { Provider } = require('oidc-provider') as typeof import('oidc-provider');
  const { buildConfiguration } = require('../../oidc/provider') as typeof import('../../oidc/provider');
  const { throwawayKeys } = require('../client-schema') as typeof import('../client-schema');
  // The token is opaque: the provider signs nothing, its keys only let it be built.
  const keys = throwawayKeys('registration-token');
  const provider = new Provider(config.issuer, buildConfiguration(config, { ...services, keys }));
  const { token, expiresAt } = await createRegistrationToken(provider, {
    expiresIn: options.expiresIn ?? DEFAULT_TTL,
    audit: services.db,
  });
  ctx.out.note('The registration token is shown only this once: store it now.');
  if (config.clientRegistration === 'open')
    ctx.out.note('CLIENT_REGISTRATION=open: registration needs no token while it stays open.');
  ctx.out.result({ token, expires_at: expiresAt.toISOString() }, () =>
    fields([
      ['token', token],
      ['expires_at', formatDate(expiresAt)],
    ]),
  );
}

export function register(parent: Command): void {
  const group = parent
    .command('registration-token')
    .description('initial access tokens for dynamic client registration (RFC 7591)');
  group
    .command('create')
    .description('create an initial access token; prints it (only this once)')
    .option(
      '--expires-in <seconds>',
      `how long the token may register clients (default ${DEFAULT_TTL}: one day)`,
      parseExpiresIn,
    )
    .addHelpText(
      'after',
      `
A token registers any number of clients until it expires. Each registration is answered with a
registration access token, with which that client manages its own record (RFC 7592).

Examples:
  $ gatehouse client registration-token create
  $ TOKEN=$(gatehouse client registration-token create --expires-in 3600 --json | jq -r .token)`,
    )
    .action(
      action<{ expiresIn?: number }>(async (ctx, _args, options) =>
        clientRegistrationTokenCreate(ctx, options),
      ),
    );
}
