/**
 * The pages' languages: one JSON message file per language in views/locales (`en.json`), and beside
 * it the messages of parts of the pages in a folder per language (`en/recovery.json`), all loaded
 * once and merged; a key defined twice is an error. The page
 * language comes from the relying party's `ui_locales` (OpenID Connect Core §3.1.2.1, space-separated,
 * in order of preference) when one is available, else from Accept-Language, else English. Every
 * page, the provider's and Gatehouse's, error pages included, picks it through `requestLanguage`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from 'koa';

export type Messages = Record<string, string>;

/** Translates a key, replacing `{name}` placeholders; unknown keys come back as the key itself. */
export type Translate = (key: string, vars?: Record<string, string | number>) => string;

export interface Catalog {
  /** Languages with a message file, the default first. */
  languages: string[];
  /** Picks the best language for a request. */
  pick(uiLocales: string | undefined, acceptLanguage: string | undefined): string;
  translator(language: string): Translate;
  has(language: string, key: string): boolean;
}

export const DEFAULT_LANGUAGE = 'en';

function readMessageFile(file: string): Messages {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`${file}: a message file must be a JSON object`);
  return parsed as Messages;
}

/** Every message of one language: `<language>.json` and the files of the `<language>/` folder. */
export function readMessages(dir: string, language: string): Messages {
  const files = [path.join(dir, `${language}.json`)];
  const folder = path.join(dir, language);
  if (fs.existsSync(folder))
    for (const name of fs.readdirSync(folder).sort())
      if (name.endsWith('.json')) files.push(path.join(folder, name));
  const merged: Messages = {};
  for (const file of files)
    for (const [key, text] of Object.entries(readMessageFile(file))) {
      if (Object.hasOwn(merged, key)) throw new Error(`${file}: the message ${key} is defined twice`);
      merged[key] = text;
    }
  return merged;
}

export function loadCatalog(dir: string): Catalog {
  const files = fs.readdirSync(dir).filter((name) => /^[a-z]{2,3}\.json$/.test(name));
  const messages = new Map<string, Messages>();
  for (const file of files) {
    const language = path.basename(file, '.json');
    messages.set(language, readMessages(dir, language));
  }
  if (!messages.has(DEFAULT_LANGUAGE)) throw new Error(`${dir}: ${DEFAULT_LANGUAGE}.json is missing`);
  const languages = [DEFAULT_LANGUAGE, ...[...messages.keys()].filter((l) => l !== DEFAULT_LANGUAGE).sort()];

  /** `de-AT` matches `de`; the first available tag wins. */
  function match(tags: string[]): string | undefined {
    for (const tag of tags) {
      const primary = tag.trim().toLowerCase().split('-')[0];
      if (primary && messages.has(primary)) return primary;
    }
    return undefined;
  }

  return {
    languages,
    pick(uiLocales, acceptLanguage) {
      const fromUi = uiLocales ? match(uiLocales.split(/\s+/)) : undefined;
      return fromUi ?? match(parseAcceptLanguage(acceptLanguage ?? '')) ?? DEFAULT_LANGUAGE;
    },
    translator(language) {
      const own = messages.get(language) ?? {};
      const fallback = messages.get(DEFAULT_LANGUAGE)!;
      return function translate(key, vars) {
        const text = own[key] ?? fallback[key] ?? key;
        if (!vars) return text;
        return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
          name in vars ? String(vars[name]) : whole,
        );
      };
    },
    has(language, key) {
      return Object.hasOwn(messages.get(language) ?? {}, key);
    },
  };
}

/** The request parameters a page may carry its relying party's `ui_locales` in. */
interface Parameters {
  ui_locales?: unknown;
}

/** The provider's parameters of this request, when the provider has read them already. */
function providerParameters(ctx: Context): Parameters | undefined {
  try {
    return (ctx as { oidc?: { params?: Parameters } }).oidc?.params;
  } catch {
    // The provider's error handler may run before the request's parameters were read.
    return undefined;
  }
}

/**
 * The language of the page answering `ctx`. `params` are the parameters of the authorization request
 * behind the page (an interaction's); without them, the language a page handler already chose for
 * this request (`ctx.state.language`), else the parameters the provider read from it.
 */
export function requestLanguage(catalog: Catalog, ctx: Context, params?: Parameters): string {
  const chosen = params ? undefined : (ctx.state as { language?: unknown } | undefined)?.language;
  if (typeof chosen === 'string') return chosen;
  const uiLocales = (params ?? providerParameters(ctx))?.ui_locales;
  return catalog.pick(typeof uiLocales === 'string' ? uiLocales : undefined, ctx.get('accept-language'));
}

/** Language tags of an Accept-Language header, best first (RFC 9110 §12.5.4). */
export function parseAcceptLanguage(header: string): string[] {
  return header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.trim(), q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.tag && entry.tag !== '*' && entry.q > 0 && !Number.isNaN(entry.q))
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((entry) => entry.tag);
}
