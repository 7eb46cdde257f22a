/**
 * The person the conformance suite asks for in its screenshot modules: it signs in by filling the
 * OP's login form with the configured account, allows what the consent page asks, and keeps a record
 * of every page it saw, so an operator can review what a real user would have been shown.
 */
import type { Browser, Outcome } from './browser';
import { formsOf, textOf, titleOf, type Form, type Page } from './html';

export type PageKind = 'login' | 'consent' | 'logout' | 'other';

export interface SeenPage {
  kind: PageKind;
  url: string;
  status: number;
  title: string;
  /** The visible text, shortened. */
  text: string;
  /** The HTML, for the operator's review (written out with --record). */
  html: string;
}

export interface Account {
  username: string;
  password: string;
}

const AGREE = /^(allow|accept|agree|approve|authori[sz]e|consent|continue|confirm|grant|yes|ok)\b/i;
const REFUSE = /^(deny|decline|cancel|no|reject|stay)\b/i;

/** The sign-in form: the one with a password field. */
function loginForm(page: Page): Form | undefined {
  return formsOf(page).find((f) => f.inputs.some((i) => i.type === 'password'));
}

/** The button that says yes: by its value, else its name, else its text. */
function agreeButton(form: Form): Form['buttons'][number] | undefined {
  return form.buttons.find(
    (b) => (AGREE.test(b.value) || AGREE.test(b.name) || AGREE.test(b.text)) && !REFUSE.test(b.value),
  );
}

export function kindOf(page: Page): PageKind {
  if (loginForm(page)) return 'login';
  if (/\/session\/end|logout|sign.?out/i.test(page.url) && formsOf(page).length) return 'logout';
  if (formsOf(page).some((f) => agreeButton(f))) return 'consent';
  return 'other';
}

export class Person {
  readonly seen: SeenPage[] = [];
  /** How many times the person typed the password (an OP asking again is what prompt=login wants). */
  logins = 0;
  consents = 0;
  /**
   * A page that is the authorization response itself (response_mode=form_post, OAuth 2.0 Form Post
   * Response Mode §2: a form a browser submits to the client on load): the person stops there
   * instead of pressing its Continue button, so the client's URI is never visited.
   */
  responseAt?: (page: Page) => boolean;

  constructor(
    readonly browser: Browser,
    private readonly account: Account,
  ) {}

  /** Notes a page the person was shown. */
  record(page: Page): PageKind {
    // A form_post response is no consent page, though its noscript Continue button looks like one.
    const kind = this.responseAt?.(page) ? 'other' : kindOf(page);
    this.seen.push({
      kind,
      url: page.url,
      status: page.status,
      title: titleOf(page),
      text: textOf(page).slice(0, 500),
      html: page.html,
    });
    return kind;
  }

  /** Opens a URL, e.g. an authorization request, and stops at the first page or callback. */
  async open(url: string): Promise<Outcome> {
    const outcome = await this.browser.go(url);
    if (outcome.kind === 'page') this.record(outcome.page);
    return outcome;
  }

  /**
   * Answers pages until the OP sends the browser back to the relying party: signs in on a login
   * page, allows on a consent page. Returns the last page when it is neither (an error page).
   */
  async proceed(outcome: Outcome): Promise<Outcome> {
    for (let step = 0; step < 8 && outcome.kind === 'page'; step++) {
      const page = outcome.page;
      if (page.status >= 400 || this.responseAt?.(page)) return outcome;
      const login = loginForm(page);
      if (login) {
        const password = login.inputs.find((i) => i.type === 'password')!;
        const user =
          login.inputs.find((i) => /user|login|email|name/i.test(i.name) && i.type !== 'hidden') ??
          login.inputs.find((i) => i.type === 'text' || i.type === 'email');
        if (!user) return outcome;
        this.logins += 1;
        outcome = await this.browser.submit(login, {
          [user.name]: this.account.username,
          [password.name]: this.account.password,
        });
      } else {
        const form = formsOf(page).find((f) => agreeButton(f));
        if (!form) return outcome;
        const button = agreeButton(form)!;
        this.consents += 1;
        outcome = await this.browser.submit(form, button.name ? { [button.name]: button.value } : {});
      }
      if (outcome.kind === 'page') this.record(outcome.page);
    }
    return outcome;
  }

  /** Opens the URL and answers pages until the redirect to the relying party. */
  async authorize(url: string): Promise<Outcome> {
    return this.proceed(await this.open(url));
  }

  /** The pages seen, without their HTML (for reports). */
  summary(): Omit<SeenPage, 'html' | 'text'>[] {
    return this.seen.map(({ kind, url, status, title }) => ({ kind, url, status, title }));
  }
}
