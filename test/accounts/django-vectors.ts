/**
 * Password hashes made by Django itself (test/accounts/django-vectors.py run by Debian's Python),
 * made when the tests run: nothing here is a hash written by hand. Where /usr/bin/python3 lacks
 * Django (CI installs python3-django, python3-argon2, python3-bcrypt), `djangoAvailable` is false and
 * the tests that need these skip, saying so.
 */
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, 'django-vectors.py');

export const djangoAvailable =
  spawnSync(PYTHON, ['-c', 'import django, argon2, bcrypt, crypt'], { stdio: 'ignore' }).status === 0;

if (!djangoAvailable)
  console.warn(
    `SKIPPED: ${PYTHON} cannot import django, argon2, bcrypt and crypt; the Django hash vectors ` +
      'were not made (apt-get install python3-django python3-argon2 python3-bcrypt)',
  );

/** `it`, or `it.skip` where Django is not installed. */
export const itWithDjango = djangoAvailable ? it : it.skip;

export interface DjangoVector {
  hasher: string;
  password: string;
  encoded: string;
  /** Django's own check_password of it (null for scrypt and unusable, which Django 3.2 cannot check). */
  django_verifies: boolean | null;
}

/** Hashes each [hasher, password] as Django does. */
export function makeDjangoHashes(requests: [hasher: string, password: string][]): Promise<DjangoVector[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      PYTHON,
      [SCRIPT],
      { maxBuffer: 16 * 1024 * 1024, timeout: 120_000, env: { ...process.env, PYTHONIOENCODING: 'utf-8' } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`django-vectors.py failed: ${stderr}`));
        else resolve(JSON.parse(stdout) as DjangoVector[]);
      },
    );
    child.stdin!.end(JSON.stringify(requests));
  });
}
