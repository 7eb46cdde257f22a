/**
 * The message files and templates: every language has every message with the same placeholders,
 * every scope and claim a person can be asked about has words, templates hold no text of their own
 * and only the layout prints raw HTML, and the page language is picked as OpenID Connect says.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SCOPE_CLAIMS, SUPPORTED_SCOPES } from '../../src/oidc/claims';
import { loadCatalog, parseAcceptLanguage, readMessages } from '../../src/interactions/i18n';
import { VIEWS_DIR } from '../../src/interactions/views';

const LOCALES = path.join(VIEWS_DIR, 'locales');
const catalog = loadCatalog(LOCALES);
const read = (language: string) => readMessages(LOCALES, language);
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message files', () => {
  const english = read('en');

  it('offers English and at least one other language', () => {
    expect(catalog.languages[0]).toBe('en');
    expect(catalog.languages.length).toBeGreaterThan(1);
  });

  it.each(catalog.languages.filter((l) => l !== 'en'))(
    '%s has exactly the English keys, with the same placeholders',
    (language) => {
      const messages = read(language);
      expect(Object.keys(messages).sort()).toEqual(Object.keys(english).sort());
      for (const [key, text] of Object.entries(messages)) {
        expect(text.trim()).not.toBe('');
        expect([key, placeholders(text)]).toEqual([key, placeholders(english[key]!)]);
      }
    },
  );

  it('describes every supported scope and every claim a scope releases', () => {
    for (const language of catalog.languages) {
      for (const scope of SUPPORTED_SCOPES) {
        expect([language, scope, catalog.has(language, `scope.${scope}.title`)]).toEqual([
          language,
          scope,
          true,
        ]);
        expect([language, scope, catalog.has(language, `scope.${scope}.description`)]).toEqual([
          language,
          scope,
          true,
        ]);
      }
      for (const claim of Object.values(SCOPE_CLAIMS).flat()) {
        if (claim === 'sub') continue;
        expect([language, claim, catalog.has(language, `claim.${claim}`)]).toEqual([language, claim, true]);
      }
    }
  });
});

describe('templates', () => {
  const templates = fs.readdirSync(VIEWS_DIR).filter((name) => name.endsWith('.ejs'));
  const partials = fs
    .readdirSync(path.join(VIEWS_DIR, 'partials'))
    .filter((name) => name.endsWith('.ejs'))
    .map((name) => `partials/${name}`);

  it('are the layout, the pages and their partials', () => {
    expect(templates.sort()).toEqual([
      'account-mfa.ejs',
      'account.ejs',
      'admin-dashboard.ejs',
      'admin-signed-out.ejs',
      'admin-user.ejs',
      'admin-users.ejs',
      'consent.ejs',
      'device-code.ejs',
      'device-confirm.ejs',
      'device-limited.ejs',
      'device-success.ejs',
      'enroll.ejs',
      'error.ejs',
      'invitation.ejs',
      'layout.ejs',
      'logged-out.ejs',
      'login.ejs',
      'logout.ejs',
      'recovery-codes.ejs',
      'recovery-forgot.ejs',
      'recovery-reset.ejs',
      'recovery-result.ejs',
      'recovery-sent.ejs',
      'register-sent.ejs',
      'register.ejs',
      'registration-result.ejs',
      'second-factor.ejs',
    ]);
    expect(partials.sort()).toEqual([
      'partials/admin-nav.ejs',
      'partials/passkey-register.ejs',
      'partials/passkey-second-factor.ejs',
      'partials/passkey-sign-in.ejs',
      'partials/totp-setup.ejs',
    ]);
  });

  it.each([...templates, ...partials])(
    '%s escapes its output (raw output only for the layout body and partials) and has no text of its own',
    (name) => {
      const source = fs.readFileSync(path.join(VIEWS_DIR, name), 'utf8');
      const raw = [...source.matchAll(/<%-\s*([^%]*?)\s*%>/g)].map((m) => m[1]!);
      // An include renders another template of views/partials, which escapes its own output.
      const unescaped = raw.filter(
        (expression) => !/^include\('partials\/[\w-]+'(, \{[^}]*\})?\)$/.test(expression),
      );
      expect(unescaped).toEqual(name === 'layout.ejs' ? ['body'] : []);
      const text = source
        .replace(/<%[\s\S]*?%>/g, '')
        .replace(/<[^>]*>/g, '')
        .replace(/[\s·,.:]+/g, '');
      expect(text).toBe('');
    },
  );
});

describe('page language', () => {
  it('reads Accept-Language by quality', () => {
    expect(parseAcceptLanguage('fr;q=0.5, de-CH, en;q=0.8, *;q=0.1, it;q=0')).toEqual(['de-CH', 'en', 'fr']);
  });

  it('prefers ui_locales in order, then Accept-Language, then English', () => {
    expect(catalog.pick('fr de en', 'en')).toBe('de');
    expect(catalog.pick('fr', 'de-AT;q=0.9')).toBe('de');
    expect(catalog.pick(undefined, 'ja')).toBe('en');
    expect(catalog.pick('', '')).toBe('en');
  });

  it('falls back to English for a missing message and fills placeholders', () => {
    const t = catalog.translator('de');
    expect(t('login.lead', { client: 'App' })).toBe('um mit App fortzufahren');
    expect(t('no.such.key')).toBe('no.such.key');
  });
});

describe('message folders', () => {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'gatehouse-locales-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("merges a language's folder into its file, and refuses a key defined twice", () => {
    fs.writeFileSync(path.join(dir, 'en.json'), JSON.stringify({ 'a.title': 'A' }));
    fs.mkdirSync(path.join(dir, 'en'));
    fs.writeFileSync(path.join(dir, 'en', 'part.json'), JSON.stringify({ 'b.title': 'B {name}' }));
    const t = loadCatalog(dir).translator('en');
    expect([t('a.title'), t('b.title', { name: 'x' })]).toEqual(['A', 'B x']);
    fs.writeFileSync(path.join(dir, 'en', 'other.json'), JSON.stringify({ 'a.title': 'again' }));
    expect(() => loadCatalog(dir)).toThrow('the message a.title is defined twice');
  });
});
