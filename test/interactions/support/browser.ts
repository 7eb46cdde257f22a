/**
 * The page tests' browser lives in test/support/browser.ts (the conformance battery's browser);
 * this path re-exports it for the tests that import it from here.
 */
export * from '../../support/browser';
