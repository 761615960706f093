import pytest
from cryptography.exceptions import InvalidTag

from govcx.core.crypto import FieldCipher, Sealed, derive_key


def test_a_sealed_value_opens_to_the_original_and_does_not_contain_it():
    cipher = FieldCipher.from_secret(b"s" * 48)

    sealed = cipher.seal("850402-1234", context="person.national_id")

    assert b"850402-1234" not in sealed.blob
    assert cipher.open(sealed, context="person.national_id") == "850402-1234"


def test_sealing_twice_gives_different_blobs():
    cipher = FieldCipher.from_secret(b"s" * 48)

    assert cipher.seal("x", context="c").blob != cipher.seal("x", context="c").blob


def test_a_changed_byte_or_another_context_is_refused():
    cipher = FieldCipher.from_secret(b"s" * 48)
    sealed = cipher.seal("secret", context="person.national_id")
    tampered = Sealed(sealed.key_id, sealed.blob[:-1] + bytes([sealed.blob[-1] ^ 1]))

    with pytest.raises(InvalidTag):
        cipher.open(tampered, context="person.national_id")
    with pytest.raises(InvalidTag):
        cipher.open(sealed, context="person.email")


def test_values_sealed_under_a_retired_key_still_open_after_rotation():
    secret = b"s" * 48
    old = FieldCipher.from_secret(secret, "k1")
    sealed = old.seal("kept", context="c")
    rotated = FieldCipher(
        keys={"k1": derive_key(secret, "govcx field encryption k1"), "k2": derive_key(secret, "k2")},
        current_key_id="k2", index_key=derive_key(secret, "govcx blind index"),
    )

    assert rotated.seal("new", context="c").key_id == "k2"
    assert rotated.open(sealed, context="c") == "kept"


def test_the_blind_index_finds_equal_values_but_depends_on_the_secret():
    one = FieldCipher.from_secret(b"a" * 48)
    other = FieldCipher.from_secret(b"b" * 48)

    assert one.blind_index("X1", context="c") == one.blind_index("X1", context="c")
    assert one.blind_index("X1", context="c") != one.blind_index("X2", context="c")
    assert one.blind_index("X1", context="c") != other.blind_index("X1", context="c")
