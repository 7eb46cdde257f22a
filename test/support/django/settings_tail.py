
# Appended by Gatehouse's test driver (test/support/django/index.ts), as a team adds DOT to the
# project `django-admin startproject` made.
from .gatehouse_overlay import *  # noqa: E402,F401,F403

INSTALLED_APPS += ["oauth2_provider"]  # noqa: F405
