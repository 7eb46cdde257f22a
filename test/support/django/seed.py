"""
Fills a migrated DOT project the way years of use would have: users hashed by every hasher Django
has (and scrypt as Django 4.0 encodes it), groups, a superuser and a staff member, an inactive user,
one with an unusable password, applications of every grant type and client type (one confidential
application's secret hashed by make_password, as DOT >= 2.0 stores secrets), and an expired token.
Prints what it made as JSON on stdout, plain passwords and secrets included, for the tests.

Run with DJANGO_SETTINGS_MODULE set, from the project directory.
"""
import base64
import hashlib
import json
from datetime import timedelta

import argon2
import django

django.setup()

from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402
from oauth2_provider.models import AccessToken, get_application_model  # noqa: E402

Application = get_application_model()


def scrypt_password(password):
    """Django 4.0's ScryptPasswordHasher.encode: n=2**14, r=8, p=1, dklen 64, a 22-character salt."""
    salt = get_random_string(22)
    n, r, p = 2**14, 8, 1
    derived = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=0, dklen=64)
    return "scrypt$%d$%s$%d$%d$%s" % (n, salt, r, p, base64.b64encode(derived).decode("ascii").strip())


def argon2i_password(password):
    """Django's Argon2PasswordHasher with the argon2i variant (Django < 3.2 hashed with argon2i)."""
    hasher = Argon2PasswordHasher()
    data = argon2.low_level.hash_secret(
        password.encode(),
        get_random_string(22).encode(),
        time_cost=hasher.time_cost,
        memory_cost=hasher.memory_cost,
        parallelism=hasher.parallelism,
        hash_len=argon2.DEFAULT_HASH_LENGTH,
        type=argon2.low_level.Type.I,
    )
    return "argon2" + data.decode("ascii")


# (username, format, password); the format names are describeDjangoHash's.
HASHED_USERS = [
    ("ada.pbkdf2", "pbkdf2_sha256", "Ada-pässwörd-1815"),
    ("bob.pbkdf2sha1", "pbkdf2_sha1", "bob sha1 secret"),
    ("cleo.argon2id", "argon2", "cleo-argon2id-pw"),
    ("dan.argon2i", "argon2i", "dan-argon2i-pw"),
    ("eve.bcryptsha256", "bcrypt_sha256", "eve-" + "x" * 80),
    ("fay.bcrypt", "bcrypt", "fay-bcrypt-pw"),
    ("gus.scrypt", "scrypt", "gus-scrypt-pw"),
    ("hal.md5", "md5", "hal-md5-pw"),
    ("ivy.sha1", "sha1", "ivy-sha1-pw"),
    ("jay.unsaltedmd5", "unsalted_md5", "jay-unsalted-md5"),
    ("kim.unsaltedsha1", "unsalted_sha1", "kim-unsalted-sha1"),
    ("lou.crypt", "crypt", "loucrypt"),
]


def encode(fmt, password):
    if fmt == "scrypt":
        return scrypt_password(password)
    if fmt == "argon2i":
        return argon2i_password(password)
    return make_password(password, hasher=fmt)


def user(username, password_hash, **fields):
    u = User(username=username, email=fields.pop("email", username + "@example.com"), **fields)
    u.password = password_hash
    u.save()
    return u


editors = Group.objects.create(name="editors")
support = Group.objects.create(name="support")

users = []
for username, fmt, password in HASHED_USERS:
    encoded = encode(fmt, password)
    # Django itself accepts what seed wrote (3.2 has no scrypt hasher: that one is checked by its format).
    assert fmt == "scrypt" or check_password(password, encoded), fmt
    user(username, encoded, first_name=username.split(".")[0].title(), last_name=fmt)
    users.append({"username": username, "password": password, "format": fmt.replace("argon2i", "argon2")})

root = user("root", make_password("root-superuser-pw"), is_superuser=True, is_staff=True)
staff = user("sam.staff", make_password("sam-staff-pw"), is_staff=True)
user("pat.pbkdf2", make_password("pat-pbkdf2-pw"))
gone = user("gone.inactive", make_password("gone-inactive-pw"), is_active=False)
nopass = user("nopass", make_password(None))  # "!" + random: Django's unusable password
users += [
    {"username": "root", "password": "root-superuser-pw", "format": "pbkdf2_sha256", "superuser": True},
    {"username": "sam.staff", "password": "sam-staff-pw", "format": "pbkdf2_sha256", "staff": True},
    {"username": "pat.pbkdf2", "password": "pat-pbkdf2-pw", "format": "pbkdf2_sha256"},
    {"username": "gone.inactive", "password": "gone-inactive-pw", "format": "pbkdf2_sha256", "inactive": True},
    {"username": "nopass", "password": "", "format": "unusable"},
]
User.objects.get(username="ada.pbkdf2").groups.add(editors)
User.objects.get(username="cleo.argon2id").groups.add(editors, support)
staff.groups.add(support)


def application(key, **fields):
    secret = fields.pop("client_secret", None)
    app = Application(name=key, user=root, **fields)
    if secret is not None:
        app.client_secret = secret
    app.save()
    return app


apps = {}
for key, fields in {
    # DOT 1.x's default: the secret stored as it is.
    "password": dict(client_type="confidential", authorization_grant_type="password"),
    "password_public": dict(client_type="public", authorization_grant_type="password", client_secret=""),
    "service": dict(client_type="confidential", authorization_grant_type="client-credentials"),
    "resource_server": dict(client_type="confidential", authorization_grant_type="client-credentials"),
    "hashed_service": dict(client_type="confidential", authorization_grant_type="client-credentials"),
    "web": dict(
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://web.example.com/callback https://web.example.com/again",
        skip_authorization=True,
        algorithm="RS256",
    ),
    "spa": dict(
        client_type="public",
        authorization_grant_type="authorization-code",
        redirect_uris="https://spa.example.com/callback",
        client_secret="",
    ),
    "legacy_implicit": dict(
        client_type="public",
        authorization_grant_type="implicit",
        redirect_uris="https://implicit.example.com/callback",
        client_secret="",
        algorithm="RS256",
    ),
    "hybrid": dict(
        client_type="confidential",
        authorization_grant_type="openid-hybrid",
        redirect_uris="https://hybrid.example.com/callback",
        algorithm="HS256",
    ),
}.items():
    app = application(key, **fields)
    apps[key] = {
        "id": app.pk,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "client_type": app.client_type,
        "grant_type": app.authorization_grant_type,
        "hashed": False,
    }

# DOT >= 2.0 stores make_password(secret) (hash_client_secret); 1.7 cannot write that itself.
hashed = apps["hashed_service"]
Application.objects.filter(pk=hashed["id"]).update(client_secret=make_password(hashed["client_secret"]))
hashed["hashed"] = True

# A token that expired yesterday: nothing to carry over.
expired = AccessToken.objects.create(
    user=User.objects.get(username="ada.pbkdf2"),
    application=Application.objects.get(pk=apps["password"]["id"]),
    token=get_random_string(30),
    expires=timezone.now() - timedelta(days=1),
    scope="read",
)

print(
    json.dumps(
        {
            "users": users,
            "groups": {"editors": ["ada.pbkdf2", "cleo.argon2id"], "support": ["cleo.argon2id", "sam.staff"]},
            "applications": apps,
            "expired_token": expired.token,
        }
    )
)
