/**
 * @gatehouse/conformance: the battery that `gatehouse conformance` runs (the OpenID Foundation's OP
 * certification plans, over HTTP against any OP), and the browser without a screen that its person
 * and Gatehouse's page tests share.
 */
export {
  MODULES,
  PLANS,
  formatResult,
  formatSummary,
  runBattery,
  selectModules,
  type BatteryHooks,
  type BatteryReport,
} from './battery';
export type { BatteryOptions, ClientCredentials } from './context';
export type { RegisteredClient, RegistrationAnswer } from './registration';
export type { ConformanceModule } from './module';
export type { Account, PageKind, SeenPage } from './person';
export type { ModuleResult, Plan, Status } from './result';
export {
  Browser,
  atPrefixes,
  atRegisteredUris,
  type BrowserOptions,
  type Fetch,
  type NavigationInit,
  type Outcome,
  type StopRule,
} from './browser';
export { CookieJar, type Cookie } from './cookie-jar';
export { formsOf, textOf, titleOf, type Form, type FormInput, type Page } from './html';
