/**
 * `gatehouse conformance`: runs the conformance battery (the conformance/ package) against any OP
 * by issuer URL, with the demo data as defaults. One line per module, a summary line, exit 1 on any
 * FAIL. It talks HTTP only: no database is opened, so it works against a remote deployment.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { action, type CommandContext } from '../context';
import { CliError, usageError } from '../errors';
import { PLANS, loadBattery, type BatteryOptions, type Plan } from './conformance-battery';

export interface ConformanceOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  secondClientId: string;
  secondClientSecret: string;
  postClientId?: string;
  postClientSecret?: string;
  exchangeClientId: string;
  exchangeClientSecret: string;
  username: string;
  password: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  plan: string;
  module: string[];
  slow?: boolean;
  record?: string;
  registrationToken?: string;
  resource: string;
}

function url(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    throw new InvalidArgumentError('an http or https URL.');
  return value;
}

const PLAN_LIST = `${PLANS.join(', ')} or all`;

/** `all`, one plan, or several separated by commas (`basic,logout`), in the battery's order. */
export function plansOf(value: string): Plan[] {
  const names = value.split(',').map((name) => name.trim());
  if (names.includes('all')) return [...PLANS];
  const unknown = names.filter((name) => !(PLANS as readonly string[]).includes(name));
  if (unknown.length || !names.length)
    throw new InvalidArgumentError(`${PLAN_LIST} (comma-separated for several).`);
  return PLANS.filter((plan) => names.includes(plan));
}

function plan(value: string): string {
  plansOf(value);
  return value;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function batteryOptions(options: ConformanceOptions, moduleNames: string[]): BatteryOptions {
  if (Boolean(options.postClientId) !== Boolean(options.postClientSecret))
    throw usageError('--post-client-id and --post-client-secret go together');
  const unknown = options.module.filter((name) => !moduleNames.includes(name));
  if (unknown.length) throw usageError(`unknown module ${unknown.join(', ')} (see the README for the list)`);
  return {
    issuer: options.issuer.replace(/\/+$/, ''),
    client: { id: options.clientId, secret: options.clientSecret },
    ...(options.secondClientId
      ? { secondClient: { id: options.secondClientId, secret: options.secondClientSecret } }
      : {}),
    ...(options.postClientId
      ? { postClient: { id: options.postClientId, secret: options.postClientSecret! } }
      : {}),
    ...(options.exchangeClientId
      ? { exchangeClient: { id: options.exchangeClientId, secret: options.exchangeClientSecret } }
      : {}),
    account: { username: options.username, password: options.password },
    redirectUri: options.redirectUri,
    postLogoutRedirectUri: options.postLogoutRedirectUri,
    plans: plansOf(options.plan),
    slow: Boolean(options.slow),
    only: options.module,
    ...(options.registrationToken ? { registrationToken: options.registrationToken } : {}),
    resource: options.resource,
  };
}

export async function conformance(ctx: CommandContext, options: ConformanceOptions): Promise<void> {
  const { MODULES, formatResult, formatSummary, runBattery, selectModules } = loadBattery();
  const battery = batteryOptions(
    options,
    MODULES.map((m) => m.name),
  );
  const total = selectModules(battery).length;
  const bar = ctx.out.interactive
    ? new SingleBar({
        format: '{bar} {value}/{total} {module}',
        stream: ctx.out.streams.stderr as NodeJS.WriteStream,
        hideCursor: true,
        clearOnComplete: true,
      })
    : undefined;
  bar?.start(total, 0, { module: '' });
  const report = await runBattery(battery, {
    ...(options.record ? { recordDir: options.record } : {}),
    onStart(module, index) {
      bar?.update(index, { module: module.name });
    },
    onResult(result, index) {
      if (ctx.out.json) return;
      // Lines appear as modules finish; the bar redraws below them.
      if (bar) {
        bar.stop();
        ctx.out.streams.stdout.write(`${formatResult(result)}\n`);
        if (index + 1 < total) bar.start(total, index + 1, { module: '' });
      } else ctx.out.streams.stdout.write(`${formatResult(result)}\n`);
    },
  });
  bar?.stop();
  ctx.out.result(report, () => formatSummary(report));
  if (report.summary.FAIL > 0) {
    // The lines above say what failed; exit 1 without repeating them.
    throw new CliError('refused', `${report.summary.FAIL} conformance modules failed`);
  }
}

const HELP = `
Runs modules of the OpenID Foundation's OP certification plans against the OP at --issuer, over
HTTP only (no database). Plans (--plan, comma-separated for several; default all):
  config          discovery and JWKS
  basic           the Basic OP plan (code flow)
  logout          RP-initiated logout
  dynamic         the Dynamic OP plan: client registration (RFC 7591), RFC 7592 management
  formpost        the Form Post OP plan: response_mode=form_post
  implicit        the Implicit OP plan: id_token, id_token token
  hybrid          the Hybrid OP plan: code id_token, code token, code id_token token
  backchannel     back-channel logout
  device          the device authorization grant (RFC 8628)
  par             pushed authorization requests (RFC 9126)
  dpop            DPoP (RFC 9449)
  resource        resource indicators and JWT access tokens (RFC 8707, RFC 9068)
  token-exchange  token exchange (RFC 8693)
A "person" signs in by submitting the login form with --username and --password and allows the
consent page. The battery never visits the redirect URIs: it reads responses from the Location
header (query or fragment) or from the form_post page, so they only need to be registered.

Every plan after logout registers its own clients (RFC 7591) with --registration-token, an initial
access token (gatehouse client registration-token create); without one those modules are SKIPPED.
Clients for the implicit and hybrid flows register https://rp.example.com/callback unless
--redirect-uri is an https URI off localhost (the OP refuses http and localhost there).

The OP needs:
  --client-id          confidential, client_secret_basic, grant types authorization_code and
                       refresh_token, --redirect-uri and --post-logout-redirect-uri registered,
                       scopes openid profile email address phone offline_access
  --second-client-id   another confidential client_secret_basic client allowed refresh_token (used
                       only to present the first client's refresh token, which must fail)
  --post-client-id     optional: a client with token_endpoint_auth_method client_secret_post and the
                       same redirect URI (oidcc-server-client-secret-post is SKIPPED without it)
  --exchange-client-id a confidential client_secret_basic client registered for token exchange
                       (RFC 8693), used when the OP refuses to register one (plan token-exchange)

One line per module: PASS, WARNING reason, FAIL reason, SKIPPED why; then a summary. Exit code 1
when any module FAILs. --json prints the whole report (pages seen included) for machines.

--module NAME runs one module of the plans (repeatable); the README lists them.

Examples:
  $ gatehouse conformance
  $ gatehouse conformance --issuer https://id.example.com --client-id app --client-secret "$SECRET" \\
      --redirect-uri https://app.example.com/callback --username tester --password "$PASSWORD"
  $ gatehouse conformance --plan config --json
  $ gatehouse conformance --plan dynamic,implicit,hybrid \\
      --registration-token "$(gatehouse client registration-token create)"`;

export function register(parent: Command): void {
  parent
    .command('conformance')
    .description('run the OpenID conformance battery against an OP (default: the demo data on :3000)')
    .option('--issuer <url>', 'the OP issuer URL', url, 'http://localhost:3000')
    .option('--client-id <id>', 'the client the flows run as', 'demo-web')
    .option('--client-secret <secret>', 'its secret (client_secret_basic)', 'demo-web-secret')
    .option('--second-client-id <id>', 'another client, for the wrong-client refresh check', 'demo-cli')
    .option('--second-client-secret <secret>', 'its secret (client_secret_basic)', 'demo-cli-secret')
    .option('--post-client-id <id>', 'a client_secret_post client (optional)')
    .option('--post-client-secret <secret>', 'its secret')
    .option('--exchange-client-id <id>', 'a client registered for token exchange', 'demo-service')
    .option('--exchange-client-secret <secret>', 'its secret (client_secret_basic)', 'demo-service-secret')
    .option('--username <name>', 'the account the person signs in with', 'alice')
    .option('--password <password>', 'its password', 'alicepass')
    .option(
      '--redirect-uri <uri>',
      'registered for the clients; never visited',
      url,
      'http://localhost:8080/callback',
    )
    .option(
      '--post-logout-redirect-uri <uri>',
      'registered for --client-id; never visited',
      url,
      'http://localhost:8080/',
    )
    .option('--plan <plan>', `${PLAN_LIST} (comma-separated for several)`, plan, 'all')
    .option(
      '--registration-token <token>',
      'an initial access token: the plans after logout register clients with it',
    )
    .option(
      '--resource <uri>',
      'a resource server registered with JWT access tokens (plan resource)',
      url,
      'https://api.example.com',
    )
    .option('--module <name>', 'run only this module (repeatable)', collect, [])
    .option('--slow', 'also run the modules that wait (oidcc-codereuse-30seconds)')
    .option('--record <dir>', 'write the HTML of every page the person saw, per module')
    .addHelpText('after', HELP)
    .action(action(async (ctx, _args, options: ConformanceOptions) => conformance(ctx, options)));
}
