"""
A client of Gatehouse's /o/ paths written as DOT's clients are: requests-oauthlib's OAuth2Session,
with LegacyApplicationClient for the password grant (RFC 6749 §4.3) and BackendApplicationClient for
client credentials (§4.4), the client authenticating with HTTP Basic (§2.3.1).

    oauth_client.py password BASE CLIENT_ID CLIENT_SECRET USERNAME PASSWORD SCOPE
    oauth_client.py client_credentials BASE CLIENT_ID CLIENT_SECRET SCOPE

Prints JSON: the token response, the refreshed one (password grant), and /o/userinfo/'s answer
when the scope has openid. OAUTHLIB_INSECURE_TRANSPORT=1 lets it speak plain HTTP to 127.0.0.1.
"""
import json
import os
import sys

from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

mode, base, client_id, client_secret = sys.argv[1:5]
token_url = base + "/o/token/"
auth = HTTPBasicAuth(client_id, client_secret)
out = {}

if mode == "password":
    username, password, scope = sys.argv[5:8]
    session = OAuth2Session(client=LegacyApplicationClient(client_id=client_id), scope=scope.split())
    out["token"] = session.fetch_token(
        token_url=token_url, username=username, password=password, auth=auth, scope=scope.split()
    )
    out["refreshed"] = session.refresh_token(token_url, auth=auth)
else:
    (scope,) = sys.argv[5:6]
    session = OAuth2Session(client=BackendApplicationClient(client_id=client_id), scope=scope.split())
    out["token"] = session.fetch_token(token_url=token_url, auth=auth, scope=scope.split())

if "openid" in scope.split():
    answer = session.get(base + "/o/userinfo/")
    out["userinfo"] = {"status": answer.status_code, "body": answer.json() if answer.ok else answer.text}

print(json.dumps(out))
