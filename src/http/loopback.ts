/**
 * Whether a URL's host is the loopback interface, where plain http needs no TLS: the traffic never
 * leaves the machine. RFC 8252 §7.3 (a native app's loopback redirect, http://127.0.0.1:port/… or
 * http://[::1]:port/…); §8.3 discourages `localhost`, which stays allowed, as most native SDKs use
 * it. The one rule for client redirect URIs (clients/validate.ts), webhook endpoints
 * (audit/webhooks.ts) and what `gatehouse doctor` reports (cli/doctor/).
 */

/** `hostname` as `URL.hostname` gives it (an IPv6 address in brackets). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}
