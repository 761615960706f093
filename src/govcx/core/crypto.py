"""Encryption of sensitive values at rest, and blind indexes to find them again."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12


def derive_key(secret: bytes, purpose: str, length: int = 32) -> bytes:
    """Derive an independent key for one purpose from the master secret (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode()).derive(secret)


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes


class FieldCipher:
    """AES-GCM for single values; the key id travels beside each value so keys can rotate."""

    def __init__(self, keys: dict[str, bytes], current_key_id: str, index_key: bytes) -> None:
        if current_key_id not in keys:
            raise ValueError(f"Unknown current key id {current_key_id!r}.")
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}
        self.current_key_id = current_key_id
        self._index_key = index_key

    @classmethod
    def from_secret(cls, secret: bytes, key_id: str = "k1") -> FieldCipher:
        return cls(
            keys={key_id: derive_key(secret, f"govcx field encryption {key_id}")},
            current_key_id=key_id,
            index_key=derive_key(secret, "govcx blind index"),
        )

    def seal(self, plaintext: str, *, context: str) -> Sealed:
        """Encrypt `plaintext`, bound to `context` (e.g. the column) so blobs cannot be swapped."""
        nonce = os.urandom(_NONCE_BYTES)
        blob = nonce + self._aead[self.current_key_id].encrypt(nonce, plaintext.encode(), context.encode())
        return Sealed(self.current_key_id, blob)

    def open(self, sealed: Sealed, *, context: str) -> str:
        aead = self._aead.get(sealed.key_id)
        if aead is None:
            raise KeyError(f"No key {sealed.key_id!r} to decrypt with.")
        nonce, body = sealed.blob[:_NONCE_BYTES], sealed.blob[_NONCE_BYTES:]
        return aead.decrypt(nonce, body, context.encode()).decode()

    def blind_index(self, value: str, *, context: str) -> str:
        """Return a keyed hash of `value` for exact-match lookups without storing it in clear."""
        return hmac.new(self._index_key, f"{context}\x00{value}".encode(), hashlib.sha256).hexdigest()
