"""Password hashes as Django makes them, for test/accounts/django-hashes.test.ts (run by it).

Reads a JSON list of [hasher, password] on stdin and prints a JSON list of
{"hasher", "password", "encoded", "django_verifies"}: each hash made by Django's own
django.contrib.auth.hashers.make_password (Debian's Django 3.2), and checked back with Django's
check_password. Besides Django's hasher names:
  argon2i      argon2-cffi's argon2i, as Django 1.10 to 3.1 stored it ('argon2' + the PHC string)
  argon2i_v16  the same at argon2 version 0x10 (Django 1.10's first hashes)
  scrypt       Django 4.0's ScryptPasswordHasher encoding (Django 3.2 has no scrypt hasher):
               scrypt$n$salt$r$p$base64(hashlib.scrypt(..., dklen=64))
  unusable     make_password(None): Django's unusable password ('!' + random)
Run with Debian's Python: /usr/bin/python3 test/accounts/django-vectors.py < input.json
"""
import base64
import hashlib
import json
import secrets
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.11's crypt module

import django
from django.conf import settings

settings.configure(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.SHA1PasswordHasher",
        "django.contrib.auth.hashers.UnsaltedMD5PasswordHasher",
        "django.contrib.auth.hashers.UnsaltedSHA1PasswordHasher",
        "django.contrib.auth.hashers.CryptPasswordHasher",
    ]
)
django.setup()

import argon2
from argon2 import low_level
from django.contrib.auth.hashers import check_password, make_password


def encode(hasher, password):
    if hasher == "argon2i":
        ph = argon2.PasswordHasher(time_cost=2, memory_cost=512, parallelism=2, type=argon2.Type.I)
        return "argon2" + ph.hash(password)
    if hasher == "argon2i_v16":
        raw = low_level.hash_secret(
            password.encode(), secrets.token_bytes(16), time_cost=2, memory_cost=512,
            parallelism=2, hash_len=16, type=low_level.Type.I, version=0x10,
        )
        return "argon2" + raw.decode("ascii")
    if hasher == "scrypt":
        n, r, p = 2**14, 8, 1
        salt = secrets.token_urlsafe(16)[:22]
        key = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=0, dklen=64)
        return "scrypt$%d$%s$%d$%d$%s" % (n, salt, r, p, base64.b64encode(key).decode("ascii").strip())
    if hasher == "unusable":
        return make_password(None)
    return make_password(password, hasher=hasher)


out = []
for hasher, password in json.load(sys.stdin):
    encoded = encode(hasher, password)
    verifies = None if hasher in ("scrypt", "unusable") else check_password(password, encoded)
    out.append({"hasher": hasher, "password": password, "encoded": encoded, "django_verifies": verifies})
json.dump(out, sys.stdout)
