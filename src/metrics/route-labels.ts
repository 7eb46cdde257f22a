/**
 * The `route` label of a request the provider answered: the template of the provider's route (its
 * fixed, configured paths, from `pathFor`), with the parameter of the few routes that carry one named
 * (`/auth/:uid`, `/reg/:clientId`, …), or `unmatched`. A raw path never becomes a label: it may carry
 * an interaction id, a client id or a user code, and every distinct path would be a new time series.
 */

/** The provider's paths by route name: oidc-provider's Provider#pathFor. */
export interface ProviderPaths {
  pathFor(name: string): string;
}

// The provider's named routes (oidc-provider lib/helpers/initialize_app.js); unknown or disabled
// ones are skipped.
const ROUTE_NAMES = [
  'authorization',
  'backchannel_authentication',
  'challenge',
  'code_verification',
  'credential',
  'device_authorization',
  'end_session',
  'introspection',
  'jwks',
  'pushed_authorization_request',
  'registration',
  'revocation',
  'token',
  'userinfo',
];

// Routes under a named route's path, with the parameter the provider gives them.
const CHILDREN: Record<string, string[]> = {
  authorization: ['/:uid'],
  code_verification: ['/:uid'],
  registration: ['/:clientId'],
  end_session: ['/confirm', '/success'],
};

export const UNMATCHED_ROUTE = 'unmatched';

export type RouteLabeler = (path: string) => string;

export function providerRouteLabels(provider: ProviderPaths): RouteLabeler {
  const exact = new Map<string, string>([
    ['/.well-known/openid-configuration', '/.well-known/openid-configuration'],
  ]);
  const prefixes: { prefix: string; label: string }[] = [];
  for (const name of ROUTE_NAMES) {
    let path: string;
    try {
      path = provider.pathFor(name);
    } catch {
      continue;
    }
    exact.set(path, path);
    for (const child of CHILDREN[name] ?? []) {
      if (child.startsWith('/:')) prefixes.push({ prefix: `${path}/`, label: `${path}${child}` });
      else exact.set(`${path}${child}`, `${path}${child}`);
    }
  }
  return function labelProviderRoute(path) {
    const label = exact.get(path);
    if (label) return label;
    for (const { prefix, label: child } of prefixes)
      // One segment only: `/auth/:uid`, never `/auth/a/b`.
      if (path.startsWith(prefix) && path.indexOf('/', prefix.length) === -1 && path.length > prefix.length)
        return child;
    return UNMATCHED_ROUTE;
  };
}
