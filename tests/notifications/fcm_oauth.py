"""A local Google OAuth2 token endpoint for the FCM tests: it checks the JWT grant a
service account signs (RS256, scope, audience) and answers with an access token."""

import json
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug import Response

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
CLIENT_EMAIL = "diary-push@north-diary.iam.gserviceaccount.com"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth addresses the grant to Google's token endpoint, whatever the key's token_uri.
AUDIENCE = "https://oauth2.googleapis.com/token"


@dataclass
class TokenServer:
    """Mints ``ya29.minted-1``, ``-2``… each an hour long, unless ``script``-ed otherwise
    with ``(status, body)`` answers, used one per request."""

    token_uri: str
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    grants: list = field(default_factory=list)  # the verified claims of each grant
    scripted: list = field(default_factory=list)
    expires_in: int = 3600

    def script(self, *answers) -> None:
        self.scripted.extend(answers)

    def key_file_json(self) -> str:
        """What the Google Cloud console hands out as the service account's key."""
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return json.dumps(
            {
                "type": "service_account",
                "project_id": "north-diary",
                "private_key_id": "0123456789abcdef",
                "private_key": pem,
                "client_email": CLIENT_EMAIL,
                "client_id": "100000000000000000001",
                "token_uri": self.token_uri,
            }
        )

    @property
    def issued(self) -> int:
        return len(self.grants)

    def handle(self, request):
        assert request.form["grant_type"] == GRANT_TYPE
        claims = jwt.decode(
            request.form["assertion"],
            self.key.public_key(),
            algorithms=["RS256"],
            audience=AUDIENCE,
        )
        assert (claims["iss"], claims["scope"]) == (CLIENT_EMAIL, SCOPE)
        self.grants.append(claims)
        if self.scripted:
            status, body = self.scripted.pop(0)
            if status is None:  # hold the answer back: the caller's deadline must cut in
                import time

                time.sleep(body)
                status, body = 200, {"access_token": "too-late", "expires_in": 3600}
            return Response(json.dumps(body), status=status, content_type="application/json")
        body = {
            "access_token": f"ya29.minted-{self.issued}",
            "expires_in": self.expires_in,
            "token_type": "Bearer",
        }
        return Response(json.dumps(body), status=200, content_type="application/json")
