/**
 * The browser's cookie jar: tough-cookie's RFC 6265 store (domain and path matching, expiry,
 * Secure and HttpOnly, the default path of §5.1.4), behind the few calls a page test or the
 * battery's person makes. Loopback hosts count as secure contexts, as they do in browsers, so a
 * node behind a local TLS terminator keeps its Secure cookies on the plain-HTTP hop.
 */
import { Cookie as ToughCookie, CookieJar as ToughJar } from 'tough-cookie';

export interface Cookie {
  name: string;
  value: string;
  domain: string;
  path: string;
  /** The cookie's attributes as a Set-Cookie header writes them (`Path=/; HttpOnly; SameSite=Lax`). */
  attributes: string;
}

const OPTIONS = { allowSecureOnLocal: true } as const;

function describe(cookie: ToughCookie): Cookie {
  const pair = cookie.cookieString();
  return {
    name: cookie.key,
    value: cookie.value,
    domain: cookie.domain ?? '',
    path: cookie.path ?? '/',
    attributes: cookie.toString().slice(pair.length).replace(/^;\s*/, ''),
  };
}

export class CookieJar {
  private jar = new ToughJar(undefined, OPTIONS);

  /** Every cookie held and not expired, for every host. */
  list(): Cookie[] {
    const now = Date.now();
    return this.stored()
      .filter((cookie) => (cookie.expiryTime() ?? Infinity) > now)
      .map(describe);
  }

  /** Drops every cookie (a browser that never signed in), or only those named. */
  clear(names?: string[]): void {
    if (!names) {
      this.jar.removeAllCookiesSync();
      return;
    }
    const serialized = this.jar.serializeSync();
    if (!serialized) return;
    const cookies = serialized.cookies.filter((cookie) => !names.includes(cookie.key ?? ''));
    this.jar = ToughJar.deserializeSync({ ...serialized, cookies });
  }

  /** The Cookie header for a request to `url` (RFC 6265 §5.4: longest path first). */
  header(url: URL): string {
    return this.jar.getCookieStringSync(url);
  }

  /** Takes the Set-Cookie headers of a response to `url`; cookies a browser would refuse are dropped. */
  store(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) this.jar.setCookieSync(line, url, { ignoreError: true });
  }

  private stored(): ToughCookie[] {
    const cookies = this.jar.serializeSync()?.cookies ?? [];
    return cookies.map((json) => ToughCookie.fromJSON(json)).filter((c): c is ToughCookie => c !== undefined);
  }
}
