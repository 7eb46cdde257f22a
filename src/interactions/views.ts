/**
 * The page renderer: koa-ejs over views/ (layout.ejs wraps every page) and the message catalog in
 * views/locales. Templates escape everything with `<%= %>`; only the layout prints the rendered
 * page raw. The same renderer serves Gatehouse's interaction routes and the pages the provider
 * renders itself (errors, logout), whose contexts are the provider's and not the host's, so it
 * returns HTML instead of writing to a context.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Koa from 'koa';
import type { Context } from 'koa';
import koaEjs from 'koa-ejs';
import { staticAsset, type StaticAsset } from './page-guards';
import { loadCatalog, requestLanguage, type Catalog, type Translate } from './i18n';

/** views/ at the repository root, both from src/interactions (tests) and dist/interactions. */
export const VIEWS_DIR = path.resolve(__dirname, '..', '..', 'views');

export const STYLESHEET_PATH = '/assets/gatehouse.css';

/** What every page receives; each view adds its own locals. */
export interface PageLocals {
  lang: string;
  t: Translate;
  title: string;
  [name: string]: unknown;
}

export interface Pages {
  catalog: Catalog;
  /** The stylesheet's bytes and a strong ETag for it. */
  stylesheet: StaticAsset;
  /** Renders `view` inside the layout, in `language`. */
  render(
    view: string,
    language: string,
    locals: Record<string, unknown> & { title: string },
  ): Promise<string>;
}

export function createPages(root: string = VIEWS_DIR): Pages {
  const catalog = loadCatalog(path.join(root, 'locales'));
  // koa-ejs installs `render` on an application's context. The pages are rendered for two Koa apps
  // (the host and the provider), so it gets a context of its own and is called with a bare `this`.
  const host = { context: {} } as unknown as Koa;
  koaEjs(host, { root, layout: 'layout', viewExt: 'ejs', cache: true, debug: false, writeResp: false });
  const renderView = host.context.render;
  const css = fs.readFileSync(path.join(root, 'assets', 'gatehouse.css'));
  return {
    catalog,
    stylesheet: staticAsset(css),
    async render(view, language, locals) {
      const t = catalog.translator(language);
      const page: PageLocals = { ...locals, lang: language, t, stylesheet: STYLESHEET_PATH };
      return renderView.call({ state: {} }, view, page);
    },
  };
}

/** Answers `view` with `status`, in the request's language, its locals built with the translator. */
export async function answerPage(
  pages: Pages,
  ctx: Context,
  view: string,
  status: number,
  locals: (t: Translate) => Record<string, unknown> & { title: string },
): Promise<void> {
  const language = requestLanguage(pages.catalog, ctx);
  const html = await pages.render(view, language, locals(pages.catalog.translator(language)));
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = html;
}
