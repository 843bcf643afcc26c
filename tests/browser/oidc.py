"""A local OpenID Connect provider for sign-in tests (oidc-provider-mock), and the secrets that point the app at it.

The provider runs in a thread of the test process on 127.0.0.1 (a free port) and signs in the users it is given
with one click on its authorisation page. Plain functions: no pytest here.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import werkzeug.serving


@contextmanager
def openid_provider(users: dict[str, dict[str, object]]) -> Iterator[str]:
    """Serve an OpenID provider knowing `users` (subject -> ID-token claims); yields its base URL."""
    from oidc_provider_mock import User, app

    provider = app(user_claims=[User(sub=subject, claims=claims) for subject, claims in users.items()])
    provider.debug = False
    provider.wsgi_app = provider.wsgi_app.app  # drop werkzeug's interactive debugger the mock wraps around itself
    server = werkzeug.serving.make_server("127.0.0.1", 0, provider, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def write_auth_secrets(folder: Path, provider_url: str) -> Path:
    """A secrets.toml with [auth] for the provider; redirect_uri uses Streamlit's {port} placeholder."""
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "dorset-families-dashboard"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def _off_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return url.startswith(("http:", "https:", "ws:", "wss:")) and not (host == "localhost" or host.startswith("127.")
                                                                       or host == "::1")


def keep_on_loopback(context) -> None:
    """Refuse every request a Playwright browser context makes to anything but this machine (the mock's pages link
    a stylesheet on a CDN; a closed network must not see the attempt)."""
    context.route(_off_loopback, lambda route: route.abort())
