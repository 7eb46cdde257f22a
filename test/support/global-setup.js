// @ts-check
// Once per `npm test`: compile dist/ (child-process tests run the real server and CLI from it) and,
// with DATABASE_URL, check that PostgreSQL answers before any suite starts.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  const root = path.resolve(__dirname, '..', '..');
  // The conformance package too: the compiled CLI's `gatehouse conformance` loads conformance/dist.
  for (const project of ['tsconfig.build.json', 'conformance/tsconfig.build.json']) {
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
  }
  if (process.env.DATABASE_URL) {
    const { Client } = require('pg');
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.end();
  }
};
