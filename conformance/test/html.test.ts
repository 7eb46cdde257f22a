/**
 * Reading pages as a browser does: forms with their entry list (HTML §4.10.21.4) and submit
 * buttons, character references decoded, the title, and the visible text.
 */
import { formsOf, textOf, titleOf, type Page } from '../src';

const page = (html: string, url = 'http://127.0.0.1:3000/interaction/abc'): Page => ({
  url,
  status: 200,
  headers: new Headers(),
  html,
});

describe('forms', () => {
  it('reads the action, the method, the fields and the submit buttons', () => {
    const [login, cancel] = formsOf(
      page(`<!doctype html><title>Sign in</title>
        <form method="post" action="/interaction/abc/login">
          <input type="hidden" name="xsrf" value="t0k&amp;en">
          <label>Name <input name="username" value="alice&quot;&gt;&lt;b&gt;x&lt;/b&gt;"></label>
          <input type="password" name="password">
          <input type="checkbox" name="remember" value="yes">
          <input type="checkbox" name="terms" checked>
          <input name="off" value="x" disabled>
          <button type="submit">Sign
            in</button>
          <button type="button" name="show">Show</button>
        </form>
        <form method=post action=/interaction/abc/abort><button>Cancel</button></form>`),
    );
    expect(login).toEqual({
      action: 'http://127.0.0.1:3000/interaction/abc/login',
      method: 'POST',
      inputs: [
        { name: 'xsrf', type: 'hidden', value: 't0k&en' },
        { name: 'username', type: 'text', value: 'alice"><b>x</b>' },
        { name: 'password', type: 'password', value: '' },
        { name: 'remember', type: 'checkbox', value: 'yes' },
        { name: 'terms', type: 'checkbox', value: 'on' },
      ],
      fields: { xsrf: 't0k&en', username: 'alice"><b>x</b>', password: '', terms: 'on' },
      buttons: [{ name: '', value: '', text: 'Sign in' }],
    });
    expect(cancel).toMatchObject({ action: 'http://127.0.0.1:3000/interaction/abc/abort', method: 'POST' });
  });

  it('takes a button outside the form that names it, and defaults to GET on the page URL', () => {
    const [form] = formsOf(
      page(
        `<form id="op.logoutForm"><input type="hidden" name="xsrf" value="1"></form>
         <button form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>`,
        'http://127.0.0.1:3000/session/end?x=1',
      ),
    );
    expect(form).toMatchObject({
      action: 'http://127.0.0.1:3000/session/end?x=1',
      method: 'GET',
      fields: { xsrf: '1' },
      buttons: [{ name: 'logout', value: 'yes', text: 'Yes, sign me out' }],
    });
  });

  it('reads forms the way a browser repairs unclosed markup', () => {
    const forms = formsOf(
      page('<form action="/a"><p><input name="a" value="1"><form action="/b"><input name=b>'),
    );
    // A form cannot nest: the parser drops the inner <form> tag and its input joins the first form.
    expect(forms.map((f) => [f.action, f.fields])).toEqual([['http://127.0.0.1:3000/a', { a: '1', b: '' }]]);
  });
});

describe('text', () => {
  it('gives the title, else the first heading', () => {
    expect(titleOf(page('<head><title>  Sign in\n · Gatehouse </title></head><h1>Other</h1>'))).toBe(
      'Sign in · Gatehouse',
    );
    expect(titleOf(page('<h1>Not <em>found</em></h1>'))).toBe('Not found');
    expect(titleOf(page('<p>nothing</p>'))).toBe('');
  });

  it('gives the visible text: no head, scripts or styles; entities decoded; whitespace collapsed', () => {
    const html = `<!doctype html><html><head><title>T</title><style>p{}</style></head>
      <body><h1>This sign-in page has expired</h1><script>var x = 1;</script>
      <p>Use the &lt;back&gt; button &amp;&nbsp;try again.</p></body></html>`;
    expect(textOf(page(html))).toBe('This sign-in page has expired Use the <back> button & try again.');
  });
});
