// @ts-check
/**
 * The layer graph of src/, checked in CI (`npm run lint:deps`). Drawn and explained in
 * docs/architecture.md; change the two together. Layers run one way, top to bottom:
 *
 *   main -> node -> app, services, cli -> oidc, interactions, api, import, jobs
 *        -> accounts, clients, audit, metrics, security, http -> db -> config, log, errors
 *
 * A module may import its own layer's folder and any layer below; never a layer above, and never
 * a sibling feature other than the protocol (`oidc`).
 */
const BASE = '^src/(config|log|errors)[.]ts$';
const DB = '^src/db/';
const DOMAIN = '^src/(accounts|clients|audit|metrics|security|http)/';
const FEATURES = '^src/(oidc|interactions|api|import|jobs)/';
const APP = '^src/(app[.]ts|services[.]ts|cli/)';
const NODE = '^src/node[.]ts$';
const MAIN = '^src/main[.]ts$';

/**
 * The grant-type names are a fact the client registry needs too; the module imports nothing, so
 * any layer may read it.
 */
const LEAVES = '^src/oidc/grants/names[.]ts$';

/** @param {string} name @param {string} comment @param {string} from @param {string} to */
const forbid = (name, comment, from, to) => ({
  name,
  comment,
  severity: /** @type {const} */ ('error'),
  from: { path: from },
  to: { path: to, pathNot: LEAVES },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'An import cycle: two modules that need each other are one idea, or need an interface between them.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    forbid(
      'base-imports-nothing',
      'config, log and errors are the base: they import no other module of src/.',
      BASE,
      `^src/(?!(config|log|errors)[.]ts$)`,
    ),
    forbid(
      'db-below-domains',
      'The database layer knows no domain: it imports only db/ and the base.',
      DB,
      `${DOMAIN}|${FEATURES}|${APP}|${NODE}|${MAIN}`,
    ),
    forbid(
      'domains-below-features',
      'Stores and their helpers know nothing of the protocol, the pages or the API.',
      DOMAIN,
      `${FEATURES}|${APP}|${NODE}|${MAIN}`,
    ),
    forbid(
      'features-below-app',
      'Features are built by the app and the node, and never import them.',
      FEATURES,
      `${APP}|${NODE}|${MAIN}`,
    ),
    forbid(
      'app-below-node',
      'The Koa host and the CLI are built by the node (or the CLI entry), never the other way.',
      APP,
      `${NODE}|${MAIN}`,
    ),
    forbid('node-below-main', 'The composition root does not import the process entry.', NODE, MAIN),
    forbid(
      'oidc-knows-no-feature',
      'The protocol layer is extended by interactions and the API through values passed in, never by importing them.',
      '^src/oidc/',
      '^src/(interactions|api|import|jobs)/',
    ),
    forbid(
      'api-apart',
      'The API uses the protocol layer and the stores, not the pages or the jobs.',
      '^src/api/',
      '^src/(interactions|import|jobs)/',
    ),
    forbid(
      'interactions-apart',
      'The pages use the protocol layer and the stores, not the API or the jobs.',
      '^src/interactions/',
      '^src/(api|import|jobs)/',
    ),
    forbid(
      'jobs-apart',
      'Jobs use the stores and the protocol layer, not the routes.',
      '^src/jobs/',
      '^src/(api|interactions|import)/',
    ),
    forbid(
      'one-boundary-with-the-library',
      'Only src/oidc/internals.ts reaches into oidc-provider/lib: a library upgrade touches one file.',
      '^src/(?!oidc/internals[.]ts$)',
      'node_modules/oidc-provider/lib/(?!index[.]js$)',
    ),
    forbid(
      'product-not-tests',
      'The product never imports tests, the conformance battery or the benchmark.',
      '^src/',
      '^(test|conformance|bench)/',
    ),
    {
      name: 'battery-stands-alone',
      comment: 'The conformance battery tests any provider over HTTP: it imports nothing of Gatehouse.',
      severity: 'error',
      from: { path: '^conformance/' },
      to: { path: '^(src|test)/' },
    },
    {
      name: 'product-runs-on-dependencies',
      comment: 'What src/ imports at run time must be a production dependency (npm ls --omit=dev).',
      severity: 'error',
      from: { path: '^src/' },
      to: {
        dependencyTypes: ['npm-dev'],
        dependencyTypesNot: ['type-only'],
        pathNot: 'node_modules/@types/',
      },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing on disk.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      comment: 'A package imported but not declared in package.json.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle through types is still a cycle between ideas.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
