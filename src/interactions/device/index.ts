/**
 * The device flow's part of the interactions (RFC 8628 §3.3): the pages the provider renders
 * (pages.ts) and the limit on user-code guesses in front of it (limit.ts).
 */
export { createDevicePageConfiguration } from './pages';
export { createDeviceLimitRouter, type DeviceLimitDeps } from './limit';
