/**
 * `gatehouse api create --identifier URI --scope S [--scope S…] [--format jwt|opaque] [--ttl SECONDS]
 * [--name NAME]`: registers an API (an RFC 8707 resource server). A client that asks for it with
 * `resource=URI` gets an access token for that audience, in its format, for its lifetime.
 */
import type { Command } from 'commander';
import { GatehouseError } from '../../errors';
import type { ResourceServer } from '../../clients/resource-servers';
import { action, type CommandContext } from '../context';
import { conflict, usageError } from '../errors';

export interface ApiCreateOptions {
  identifier: string;
  scope: string[];
  format?: string;
  ttl?: string;
  name?: string;
}

/** The JSON shape of an API, as the admin API answers it. */
export function apiJson(api: ResourceServer) {
  return {
    identifier: api.identifier,
    name: api.name,
    scopes: api.scopes,
    format: api.format,
    ttl_seconds: api.ttlSeconds,
    created_at: api.createdAt,
  };
}

export async function apiCreate(ctx: CommandContext, options: ApiCreateOptions): Promise<void> {
  const format = options.format ?? 'jwt';
  if (format !== 'jwt' && format !== 'opaque') throw usageError('--format must be jwt or opaque');
  const ttlSeconds = options.ttl === undefined ? 3600 : Number(options.ttl);
  // Scopes may also come space-separated in one --scope (RFC 6749 §3.3's list form).
  const scopes = options.scope.flatMap((scope) => scope.split(' ')).filter(Boolean);
  const { resourceServers } = await ctx.services();
  let api: ResourceServer;
  try {
    api = await resourceServers.create({
      identifier: options.identifier,
      name: options.name ?? null,
      scopes,
      format,
      ttlSeconds,
    });
  } catch (err) {
    if (err instanceof GatehouseError && err.code === 'conflict') throw conflict(err.message);
    if (err instanceof GatehouseError && err.details) {
      const flags: Record<string, string> = { ttl_seconds: '--ttl', scopes: '--scope' };
      const problems = Object.entries(err.details).map(
        ([field, problem]) => `${flags[field] ?? `--${field}`}: ${problem}`,
      );
      throw usageError(problems.join('; '));
    }
    throw err;
  }
  ctx.out.result(
    apiJson(api),
    () => `created API ${api.identifier} (${api.format}, ${api.ttlSeconds} s): ${api.scopes.join(' ')}`,
  );
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(parent: Command): void {
  parent
    .command('create')
    .description('register an API (RFC 8707 resource server): its tokens name it as their audience')
    .requiredOption('--identifier <uri>', 'the resource indicator: an absolute https URI without fragment')
    .requiredOption('--scope <scope>', "one of the API's own scopes (repeat for more)", collect)
    .option(
      '--format <format>',
      'access token format: jwt (RFC 9068, verified offline) or opaque (introspected)',
      'jwt',
    )
    .option('--ttl <seconds>', 'access token lifetime, 60 to 86400 seconds', '3600')
    .option('--name <name>', 'shown to people on the consent page')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse api create --identifier https://api.example.com --scope read --scope write --format jwt --ttl 600
  $ gatehouse api create --identifier https://orders.example.com --scope orders:read --format opaque --name Orders`,
    )
    .action(action(async (ctx, _args, options: ApiCreateOptions) => apiCreate(ctx, options)));
}
