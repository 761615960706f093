"""Ed25519 signatures (JWS) that anyone can check with the key published at /.well-known/jwks.json."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Annotated, Any

from cryptography.hazmat.primitives import serialization
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import APIRouter, Depends, Request
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey
from joserfc.jws import JWSRegistry

from govcx.core.crypto import derive_key

# RFC 8037's name, the one PyJWT, jwcrypto and joserfc all verify. RFC 9864's fully specified
# "Ed25519" is what earlier checkpoints carry: still verified, no longer written (PyJWT refuses it).
ALGORITHM = "EdDSA"
ACCEPTED = (ALGORITHM, "Ed25519")


class _EdDSA(type(JWSRegistry.algorithms[ALGORITHM])):  # type: ignore[misc]
    # joserfc warns on every use of "EdDSA" because the name also covers Ed448; our key set holds
    # one Ed25519 key, so the algorithm is fully specified by the key and the warning is noise.
    security_warning = None


class _Registry(JWSRegistry):
    algorithms = {**JWSRegistry.algorithms, ALGORITHM: _EdDSA()}


_REGISTRY = _Registry(algorithms=list(ACCEPTED))


class Signer:
    """Signs JSON payloads as compact JWS; the key is derived from the master secret, so it survives restarts."""

    def __init__(self, seed: bytes) -> None:
        private = Ed25519PrivateKey.from_private_bytes(seed)
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        self._key = OKPKey.import_key(pem)
        public = self._key.as_dict(private=False)
        self.kid = hashlib.sha256(public["x"].encode()).hexdigest()[:16]
        self.public_jwk: dict[str, Any] = {**public, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}
        self._public_key = OKPKey.import_key(self.public_jwk)

    @classmethod
    def from_secret(cls, secret: bytes) -> Signer:
        return cls(derive_key(secret, "govcx signing ed25519"))

    def sign(self, payload: dict[str, Any]) -> str:
        """Return `payload` as a compact JWS signed with this key."""
        body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
        return jws.serialize_compact({"alg": ALGORITHM, "kid": self.kid, "typ": "JWT"}, body, self._key,
                                     registry=_REGISTRY)

    def verify(self, token: str) -> dict[str, Any] | None:
        """Return the payload of `token` if this key signed it unchanged, else None."""
        return verify_with_jwks(token, self.jwks())

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}


def verify_with_jwks(token: str, jwks: dict[str, Any]) -> dict[str, Any] | None:
    """Check a compact JWS against a published key set; return its payload, or None if it fails."""
    if not _canonical(token):
        return None
    try:
        # Both names mean Ed25519 with these keys; the key's own "alg" would refuse the older one.
        keys = KeySet.import_key_set({"keys": [{k: v for k, v in key.items() if k != "alg"} for key in jwks["keys"]]})
        obj = jws.deserialize_compact(token, keys, registry=_REGISTRY)
        return json.loads(obj.payload)
    except (JoseError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return None


class KeySetVerifier:
    """Checks many compact Ed25519 JWS against one key set, ten times faster than a call per token.

    For bulk checks (every signed head of the access log): the keys are imported once, and the
    signature is checked with `cryptography` directly; the rules are those of `verify_with_jwks`.
    """

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys = {
            key["kid"]: Ed25519PublicKey.from_public_bytes(b64url_decode(key["x"]))
            for key in jwks.get("keys", []) if key.get("kty") == "OKP" and key.get("crv") == "Ed25519"
        }

    def verify(self, token: str) -> dict[str, Any] | None:
        """Return the payload of `token` if a key of the set signed it unchanged, else None."""
        if not _canonical(token):
            return None
        header_part, payload_part, signature_part = token.split(".")
        try:
            header = json.loads(b64url_decode(header_part))
            key = self._keys.get(header.get("kid")) if header.get("alg") in (ALGORITHM, "EdDSA") else None
            if key is None or "crit" in header:
                return None
            key.verify(b64url_decode(signature_part), f"{header_part}.{payload_part}".encode())
            payload = json.loads(b64url_decode(payload_part))
        except (InvalidSignature, ValueError, AttributeError, binascii.Error):
            return None
        return payload if isinstance(payload, dict) else None


def b64url_decode(part: str) -> bytes:
    """Decode one unpadded base64url part of a compact JWS."""
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _canonical(token: str) -> bool:
    # Base64url has spare bits in its last character; refuse any spelling but the canonical one, so a
    # change to any character of a token makes it fail, not only changes that alter the decoded bytes.
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        return all(
            base64.urlsafe_b64encode(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))).rstrip(b"=").decode() == p
            for p in parts
        )
    except (ValueError, binascii.Error):
        return False


async def _signer(request: Request) -> Signer:
    return request.app.state.signer


SignerDep = Annotated[Signer, Depends(_signer)]

router = APIRouter(include_in_schema=False)  # a well-known address, like /healthz, outside the API document


@router.get("/.well-known/jwks.json", operation_id="get_jwks", response_model=dict[str, list[dict[str, Any]]])
async def get_jwks(signer: SignerDep) -> dict[str, Any]:
    """The public keys that sign consent receipts and access-log checkpoints."""
    return signer.jwks()
