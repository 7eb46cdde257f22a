/**
 * The protocol features Gatehouse turns on, in the order their configuration is merged and their
 * installs run. Each is one file of this folder (feature.ts says what one is).
 */
import type { Feature } from './feature';
import { backchannelLogout } from './backchannel-logout';
import { deviceFlow } from './device-flow';
import { dpop } from './dpop';
import { par } from './par';
import { registration } from './registration';
import { resourceIndicators } from './resource-indicators';

export const FEATURES: readonly Feature[] = [
  registration,
  deviceFlow,
  backchannelLogout,
  resourceIndicators,
  par,
  dpop,
];

export type { Feature } from './feature';
export { mergeConfiguration } from './merge';
