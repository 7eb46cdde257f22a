/**
 * The conformance battery is a package of its own (conformance/, @gatehouse/conformance): a checkout
 * installs it with the workspace, the product image leaves it out. `gatehouse conformance` loads it
 * when it runs, so that neither the server nor the other commands depend on it; this is what the
 * command uses of it (test/conformance checks the package against it).
 */
import { notFound } from '../errors';

export const BATTERY_PACKAGE = '@gatehouse/conformance';

/** The command that installs the battery in a checkout of Gatehouse. */
export const INSTALL_BATTERY = 'npm install --workspace conformance';

export type Plan =
  | 'config'
  | 'basic'
  | 'logout'
  | 'dynamic'
  | 'formpost'
  | 'implicit'
  | 'hybrid'
  | 'backchannel'
  | 'device'
  | 'par'
  | 'dpop'
  | 'resource'
  | 'token-exchange';

/** Every plan, in the order `--plan all` runs them (the package's PLANS; test/conformance checks). */
export const PLANS: readonly Plan[] = [
  'config',
  'basic',
  'logout',
  'dynamic',
  'formpost',
  'implicit',
  'hybrid',
  'backchannel',
  'device',
  'par',
  'dpop',
  'resource',
  'token-exchange',
];

export interface ClientCredentials {
  id: string;
  secret: string;
}

export interface BatteryOptions {
  issuer: string;
  client: ClientCredentials;
  secondClient?: ClientCredentials;
  postClient?: ClientCredentials;
  account: { username: string; password: string };
  redirectUri: string;
  postLogoutRedirectUri: string;
  plans: Plan[];
  slow?: boolean;
  only?: string[];
  registrationToken?: string;
  resource?: string;
}

export interface ModuleResult {
  name: string;
  status: 'PASS' | 'WARNING' | 'FAIL' | 'SKIPPED';
  reason?: string;
}

export interface BatteryReport {
  summary: Record<ModuleResult['status'], number>;
  modules: ModuleResult[];
}

export interface Battery {
  MODULES: readonly { name: string }[];
  selectModules(options: BatteryOptions): readonly { name: string }[];
  runBattery(
    options: BatteryOptions,
    hooks: {
      recordDir?: string;
      onStart?(module: { name: string }, index: number): void;
      onResult?(result: ModuleResult, index: number): void;
    },
  ): Promise<BatteryReport>;
  formatResult(result: ModuleResult): string;
  formatSummary(report: BatteryReport): string;
}

function isMissing(err: unknown, specifier: string): boolean {
  const { code, message } = err as { code?: unknown; message?: unknown };
  return code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(specifier);
}

/**
 * Loads the battery (openid-client, jose and every module) only when the command runs, so the
 * other commands start as fast as before. Without the package (the product image, or a checkout
 * installed with --workspaces=false) the command names the install command and exits 1.
 */
export function loadBattery(specifier: string = BATTERY_PACKAGE): Battery {
  try {
    return require(specifier) as Battery;
  } catch (err) {
    if (!isMissing(err, specifier)) throw err;
    throw notFound(
      `the conformance battery (${specifier}) is not installed: in a checkout of Gatehouse, run \`${INSTALL_BATTERY}\``,
    );
  }
}
