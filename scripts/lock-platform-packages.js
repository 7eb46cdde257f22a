#!/usr/bin/env node
// @ts-check
/**
 * The npm registry reachable from our machines serves only the Linux builds of packages that ship
 * one native binary per platform (e.g. @unrs/resolver-binding-*, used by jest's resolver). A lock
 * file written here then lacks the other platforms' optional packages, and `npm ci` refuses it as
 * "out of sync". This adds the missing entries, marked optional with the os/cpu their names state,
 * so that `npm ci` accepts the lock file and skips them on any machine they do not fit.
 *
 * Run after changing dependencies: `node scripts/lock-platform-packages.js`.
 */
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;

const OS = [
  'android',
  'darwin',
  'freebsd',
  'linux',
  'openharmony',
  'win32',
  'sunos',
  'netbsd',
  'openbsd',
  'aix',
];
const CPU = ['arm64', 'arm', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x', 'wasm32'];

/** @param {string} name */
function platformOf(name) {
  const parts = (name.split('/').pop() ?? '').split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  if (!os || !cpu) return null;
  const libc = parts.includes('musl')
    ? ['musl']
    : parts.includes('gnu') || parts.includes('gnueabihf')
      ? ['glibc']
      : null;
  return { os: [os], cpu: [cpu], ...(libc ? { libc } : {}) };
}

let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = location ? `${location}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[nested] || packages[`node_modules/${name}`]) continue;
    const platform = platformOf(name);
    if (!platform) {
      console.warn(`skipped ${name}: no platform in its name`);
      continue;
    }
    packages[`node_modules/${name}`] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...platform,
    };
    added += 1;
  }
}

// Keep npm's order: entries sorted by path after the root.
const [rootKey, ...rest] = Object.keys(packages);
lock.packages = Object.fromEntries([
  [rootKey, packages[rootKey]],
  ...rest.sort((a, b) => a.localeCompare(b, 'en')).map((k) => [k, packages[k]]),
]);
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform package entries to package-lock.json`);
