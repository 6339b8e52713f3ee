"""A real OpenID Connect provider for the tests, on 127.0.0.1 only: ``oidc-provider-mock`` (built on Authlib's
server code) in a thread, behind a small WSGI layer that records what the app sends (PKCE) and can replace
the ID token the token endpoint returns (a tampered one, or one minted for another app).

``Provider.user(sub, **claims)`` sets a user's claims; ``Provider.approve(authorize_url)`` plays the person
at the provider's sign-in page and returns the callback URL the browser would be sent to.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import oidc_provider_mock
from werkzeug.serving import make_server


@dataclass
class Recorder:
    """WSGI layer over the provider: PKCE as seen at both ends, and an optional ID-token rewrite."""

    app: Callable
    challenges: list[tuple[str, str]] = field(default_factory=list)
    verifiers: list[str] = field(default_factory=list)
    token_requests: int = 0
    rewrite: Callable[[str], str] | None = None

    fetched: dict[str, int] = field(default_factory=dict)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        self.fetched[path] = self.fetched.get(path, 0) + 1
        if path == "/oauth2/authorize":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            if "code_challenge" in query:
                self.challenges.append((query["code_challenge"][0], query.get("code_challenge_method", [""])[0]))
        if path != "/oauth2/token":
            return self.app(environ, start_response)
        self.token_requests += 1
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        form = parse_qs(body.decode())
        self.verifiers.extend(form.get("code_verifier", []))
        environ["wsgi.input"] = io.BytesIO(body)
        captured = {}

        def keep(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        rewrite, self.rewrite = self.rewrite, None  # a rewrite may itself ask for a token: not rewritten
        try:
            data = b"".join(self.app(environ, keep))
            if rewrite is not None and captured["status"].startswith("200"):
                token = json.loads(data)
                token["id_token"] = rewrite(token["id_token"])
                data = json.dumps(token).encode()
        finally:
            self.rewrite = rewrite
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], headers + [("Content-Length", str(len(data)))])
        return [data]

    def pkce_held(self) -> bool:
        """Every code exchange sent the verifier whose S256 hash was the challenge of a sign-in."""
        if not self.verifiers or len(self.verifiers) != self.token_requests:
            return False
        sent = {challenge for challenge, method in self.challenges if method == "S256"}
        digest = lambda v: base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()).rstrip(b"=").decode()
        return all(digest(v) in sent for v in self.verifiers)


@dataclass
class Provider:
    issuer: str
    recorder: Recorder

    def user(self, sub: str, **claims) -> None:
        httpx.put(f"{self.issuer}/users/{sub}", json=claims).raise_for_status()

    def approve(self, authorize_url: str, sub: str) -> str:
        """Sign ``sub`` in at the provider; the URL it redirects the browser to (the app's callback)."""
        assert authorize_url.startswith(self.issuer + "/oauth2/authorize"), authorize_url
        answer = httpx.post(authorize_url, data={"sub": sub})
        assert answer.status_code == 302, answer.text[:300]
        return answer.headers["Location"]

    def token_for(self, client_id: str, sub: str, nonce: str = "n") -> str:
        """An ID token the provider issued to another app (``client_id``), through the ordinary flow."""
        back = "https://other.example/cb"
        url = (
            f"{self.issuer}/oauth2/authorize?response_type=code&client_id={client_id}&scope=openid"
            f"&redirect_uri={back}&state=s&nonce={nonce}"
        )
        code = parse_qs(urlsplit(self.approve(url, sub)).query)["code"][0]
        answer = httpx.post(
            f"{self.issuer}/oauth2/token",
            auth=(client_id, "secret"),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": back},
        )
        answer.raise_for_status()
        return answer.json()["id_token"]


@contextmanager
def running(token_max_age: timedelta = timedelta(hours=1)) -> Iterator[Provider]:
    app = oidc_provider_mock.app(require_nonce=True, access_token_max_age=token_max_age)
    recorder = Recorder(app)
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield Provider(f"http://127.0.0.1:{server.server_port}", recorder)
    finally:
        server.shutdown()
        thread.join(5)
