/**
 * `gatehouse webhook create --url URL --events TYPE[,TYPE…] [--description TEXT] [--disabled]`:
 * registers an endpoint for the audit events named (or `*` for all). Each is POSTed to the URL,
 * signed per the Standard Webhooks specification with the secret this prints, only this once.
 */
import type { Command } from 'commander';
import { webhookJson } from '../../api/webhook-schemas';
import { GatehouseError } from '../../errors';
import { action, type CommandContext } from '../context';
import { usageError } from '../errors';
import { fields, formatDate } from '../output';

export interface WebhookCreateOptions {
  url: string;
  events: string;
  description?: string;
  disabled?: boolean;
}

/** The store's per-field refusals, named by the flags that set them. */
export function flagProblems(err: unknown): never {
  if (err instanceof GatehouseError && err.details) {
    const problems = Object.entries(err.details).map(([field, problem]) => `--${field}: ${problem}`);
    throw usageError(problems.join('; '));
  }
  throw err;
}

export async function webhookCreate(ctx: CommandContext, options: WebhookCreateOptions): Promise<void> {
  const events = options.events
    .split(',')
    .map((event) => event.trim())
    .filter(Boolean);
  const { webhooks } = await ctx.services();
  const { endpoint, secret } = await webhooks
    .create({
      url: options.url,
      events,
      description: options.description ?? null,
      enabled: !options.disabled,
    })
    .catch(flagProblems);
  ctx.out.note('The signing secret is shown only this once: store it now.');
  ctx.out.result({ ...webhookJson(endpoint), secret }, () =>
    fields([
      ['id', endpoint.id],
      ['secret', secret],
      ['url', endpoint.url],
      ['events', endpoint.events.join(',')],
      ['enabled', String(endpoint.enabled)],
      ['created_at', formatDate(endpoint.createdAt)],
    ]),
  );
}

export function register(parent: Command): void {
  parent
    .command('create')
    .description(
      'register an endpoint for audit events (Standard Webhooks); prints its secret only this once',
    )
    .requiredOption(
      '--url <url>',
      'where deliveries are POSTed (https; http outside production or on loopback)',
    )
    .requiredOption(
      '--events <types>',
      'comma-separated audit event types (user.created,session.ended,…), or *',
    )
    .option('--description <text>', "the operator's note")
    .option('--disabled', 'register it without queueing anything yet')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse webhook create --url https://hooks.example.com/gatehouse --events user.created,session.ended
  $ gatehouse webhook create --url http://127.0.0.1:9000/hook --events '*' --description "audit sink"
  $ SECRET=$(gatehouse webhook create --url https://hooks.example.com/g --events user.created --json | jq -r .secret)`,
    )
    .action(action(async (ctx, _args, options: WebhookCreateOptions) => webhookCreate(ctx, options)));
}
