"""A consent receipt is a plain Ed25519 JWS: the common JOSE libraries check it against the published keys."""

import base64
import json

import jwt
import pytest
from joserfc import jws as joserfc_jws
from joserfc.jwk import KeySet
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from tests.consent.test_consents import _ask

# joserfc notes that RFC 9864 prefers "Ed25519" to "EdDSA"; PyJWT knows only "EdDSA", so receipts use it.
pytestmark = pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")


def _pyjwt(token: str, jwks: dict) -> dict:
    header = jwt.get_unverified_header(token)
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    return jwt.decode(token, key, algorithms=[key.algorithm_name])


def _jwcrypto(token: str, jwks: dict) -> dict:
    signed = jwcrypto_jws.JWS()
    signed.deserialize(token)
    signed.verify(jwcrypto_jwk.JWKSet.from_json(json.dumps(jwks)))
    return json.loads(signed.payload)


def _joserfc(token: str, jwks: dict) -> dict:
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    return json.loads(joserfc_jws.deserialize_compact(token, KeySet.import_key_set(jwks),
                                                      algorithms=[header["alg"]]).payload)


LIBRARIES = {"PyJWT": _pyjwt, "jwcrypto": _jwcrypto, "joserfc": _joserfc}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _altered(receipt: str) -> list[str]:
    """The receipt with its status changed, with another consent's id, and with a flipped signature bit."""
    header, payload, signature = receipt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    withdrawn = _b64(json.dumps({**claims, "status": "withdrawn"}).encode())
    other = _b64(json.dumps({**claims, "consentReceiptID": "00000000-0000-0000-0000-000000000000"}).encode())
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[0] ^= 1
    return [f"{header}.{withdrawn}.{signature}", f"{header}.{other}.{signature}", f"{header}.{payload}.{_b64(raw)}"]


@pytest.fixture
def receipt_and_keys(client, cast, key_for, as_citizen):
    consent = _ask(client, cast, key_for(cast.tax))
    csrf = as_citizen("NID-7700-1234")
    client.post(f"/api/v1/me/consents/{consent['id']}/actions", headers=csrf, json={"action": "give"})
    receipt = client.get(f"/api/v1/me/consents/{consent['id']}/receipt").json()["receipt"]
    jwks = client.get("/.well-known/jwks.json").json()
    return consent, receipt, jwks


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_receipt_verifies_with_the_published_keys_in_each_common_jose_library(receipt_and_keys, library):
    consent, receipt, jwks = receipt_and_keys

    claims = LIBRARIES[library](receipt, jwks)

    assert claims["consentReceiptID"] == consent["id"] and claims["status"] == "active"


@pytest.mark.parametrize("library", LIBRARIES)
def test_each_common_jose_library_rejects_an_altered_receipt(receipt_and_keys, library):
    _, receipt, jwks = receipt_and_keys

    for altered in _altered(receipt):
        with pytest.raises(Exception):  # noqa: B017, PT011 - each library has its own error class
            LIBRARIES[library](altered, jwks)


def test_the_published_key_names_its_algorithm_curve_use_and_id(client):
    (key,) = client.get("/.well-known/jwks.json").json()["keys"]

    assert key["kty"] == "OKP" and key["crv"] == "Ed25519"
    assert key["alg"] == "EdDSA" and key["use"] == "sig" and key["kid"]
    assert "d" not in key
