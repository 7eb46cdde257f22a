/**
 * `gatehouse user invite EMAIL`: a single-use link (INVITATION_TTL) to the address, through the
 * server's delivery (OTP_DELIVERY), to create an account with the given roles. The command waits
 * for the delivery: its exit code says whether the link went out. It never prints the link.
 */
import type { Command } from 'commander';
import { createOtpDelivery } from '../../accounts/delivery';
import { Registration } from '../../accounts/registration';
import { GatehouseError } from '../../errors';
import { checkRoleNames, requireRoles } from '../accounts';
import { action, type CommandContext } from '../context';
import { CliError, refused, usageError } from '../errors';
import { fields, formatDate, list } from '../output';

export interface UserInviteOptions {
  role: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** The same test as the API's (zod's e-mail rule): one address, no display name. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function userInvite(
  ctx: CommandContext,
  email: string,
  options: UserInviteOptions,
): Promise<void> {
  if (!EMAIL.test(email) || email.length > 254) throw usageError(`EMAIL: not an email address: ${email}`);
  const roleNames = checkRoleNames(options.role);
  const { config } = ctx;
  if (config.registration === 'off')
    throw refused('invitations are off: set REGISTRATION=invite (or open) for the server and the CLI');

  const services = await ctx.services();
  await requireRoles(services.roles, roleNames);
  // The command's own delivery, closed when it is done (an SMTP transport holds a connection). It
  // logs on stderr, as the server would: OTP_DELIVERY=log (development) prints the link there.
  const delivery = createOtpDelivery(config.otp, ctx.audit);
  try {
    const registration = new Registration({ ...services, delivery });
    const invitation = await registration.invite({ email, roles: roleNames }, { wait: true }).catch((err) => {
      if (err instanceof GatehouseError)
        throw new CliError(err.status === 409 ? 'refused' : 'usage', err.message);
      throw new CliError('refused', `the invitation could not be delivered: ${(err as Error).message}`);
    });
    ctx.out.result(
      { email: invitation.email, roles: invitation.roles, expires_at: invitation.expiresAt.toISOString() },
      () =>
        fields([
          ['invited', invitation.email],
          ['roles', list(invitation.roles)],
          ['expires', formatDate(invitation.expiresAt)],
          ['delivery', config.otp.delivery],
        ]),
    );
  } finally {
    delivery.close();
  }
}

export function register(parent: Command): void {
  parent
    .command('invite')
    .description('send a single-use link to an address to create an account (REGISTRATION=invite or open)')
    .argument('<email>')
    .option('--role <role>', 'a role the new account gets (repeatable; the role must exist)', collect, [])
    .addHelpText(
      'after',
      `
The link goes out through OTP_DELIVERY (webhook: the event invitation.requested; smtp: an e-mail)
and works once, for INVITATION_TTL seconds (7 days by default).

Examples:
  $ gatehouse user invite dana@example.com --role staff
  $ gatehouse user invite erin@example.com --json`,
    )
    .action(action(async (ctx, [email], options: UserInviteOptions) => userInvite(ctx, email!, options)));
}
