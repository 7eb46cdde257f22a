/**
 * `gatehouse conformance` loads the battery package at run time: the package gives what the command
 * uses of it (checked by the type check), and without the package the command names the command
 * that installs it.
 */
import * as battery from '@gatehouse/conformance';
import {
  BATTERY_PACKAGE,
  INSTALL_BATTERY,
  loadBattery,
  type Battery,
  type BatteryOptions,
  type BatteryReport,
} from '../../src/cli/commands/conformance-battery';

// Fail `npm run typecheck` when the package and what the command expects of it part ways: the
// package has every member the command calls, takes the options the command builds, and answers
// the report the command prints.
const contract: Battery = battery;
export const takesOptions = (options: BatteryOptions): battery.BatteryOptions => options;
export const answersReport = (report: battery.BatteryReport): BatteryReport => report;

it('loads the installed package', () => {
  expect(BATTERY_PACKAGE).toBe('@gatehouse/conformance');
  expect(loadBattery().MODULES.map((m) => m.name)).toEqual(contract.MODULES.map((m) => m.name));
});

it('names the install command when the package is missing', () => {
  let thrown: unknown;
  try {
    loadBattery('@gatehouse/conformance-not-installed');
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toMatchObject({
    code: 'not_found',
    exitCode: 1,
    message: `the conformance battery (@gatehouse/conformance-not-installed) is not installed: in a checkout of Gatehouse, run \`${INSTALL_BATTERY}\``,
  });
  expect(INSTALL_BATTERY).toBe('npm install --workspace conformance');
});
