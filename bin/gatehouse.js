#!/usr/bin/env node
// @ts-check
// The `gatehouse` command: a launcher for the compiled CLI (npm ci builds dist/ through `prepare`).
'use strict';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(`gatehouse: Node.js >= 22.12 is required (this is ${process.version})\n`);
  process.exit(1);
}

const { run } = require('../dist/cli/main.js');
run(process.argv).then((/** @type {number} */ code) => {
  process.exitCode = code;
});
