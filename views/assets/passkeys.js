/* global window, document */
/*
 * Passkeys in the pages (views/partials/passkey-*.ejs): each `[data-passkey]` section asks
 * Gatehouse for a ceremony's options, runs the ceremony with @simplewebauthn/browser
 * (navigator.credentials, WebAuthn §5.1.3/§5.1.4), posts the result as JSON, and then navigates to
 * the `redirect` Gatehouse answers with (a finished sign-in), reloads (a registered passkey), or
 * shows the error. A browser without WebAuthn never sees the sections: they stay hidden, and the
 * password form remains the whole page.
 */
(function () {
  'use strict';

  var webauthn = window.SimpleWebAuthnBrowser;
  if (!webauthn || !webauthn.browserSupportsWebAuthn()) return;

  function postJson(url, body, csrf) {
    var headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (csrf) headers['X-CSRF-Token'] = csrf;
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: headers,
      body: JSON.stringify(body),
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          if (!response.ok) {
            var error = new Error(data.error_description || '');
            error.fromServer = true;
            throw error;
          }
          return data;
        });
    });
  }

  function setUp(section) {
    // Two partials on one page load this script twice; each section is set up once.
    if (section.hasAttribute('data-passkey-ready')) return;
    section.setAttribute('data-passkey-ready', '');
    var button = section.querySelector('.passkey-button');
    var alert = section.querySelector('.passkey-error');
    var done = section.querySelector('.passkey-done');
    var nameInput = section.querySelector('input[name="name"]');
    var register = section.getAttribute('data-passkey') === 'register';
    var csrf = section.getAttribute('data-csrf') || '';

    function show(message) {
      alert.textContent = message;
      alert.hidden = false;
    }

    function withCsrf(body) {
      if (csrf) body.csrf = csrf;
      return body;
    }

    button.addEventListener('click', function () {
      alert.hidden = true;
      if (done) done.hidden = true;
      button.disabled = true;
      postJson(section.getAttribute('data-options-action'), withCsrf({}), csrf)
        .then(function (options) {
          return register
            ? webauthn.startRegistration({ optionsJSON: options })
            : webauthn.startAuthentication({ optionsJSON: options });
        })
        .then(function (result) {
          var body = register
            ? withCsrf({ name: nameInput ? nameInput.value : '', response: result })
            : result;
          return postJson(section.getAttribute('data-action'), body, csrf);
        })
        .then(function (answer) {
          if (answer.redirect) {
            window.location.assign(answer.redirect);
            return;
          }
          // A registered passkey: the page lists it once loaded again (a GET, never a re-post).
          if (done) {
            done.textContent = section.getAttribute('data-message-done');
            done.hidden = false;
          }
          window.location.assign(window.location.pathname);
        })
        .catch(function (error) {
          button.disabled = false;
          // NotAllowedError: the person cancelled, or the browser's time ran out (§5.1.4.1).
          if (error && error.name === 'NotAllowedError')
            return show(section.getAttribute('data-message-cancelled'));
          show((error && error.fromServer && error.message) || section.getAttribute('data-message-failed'));
        });
    });

    section.hidden = false;
  }

  function start() {
    var sections = document.querySelectorAll('[data-passkey]');
    for (var i = 0; i < sections.length; i++) setUp(sections[i]);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
