"""E-mail goes over STARTTLS when configured, and only to a server whose certificate checks out."""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from govcx.notify import service
from govcx.notify.models import Message, MessageStatus, NotifyChannel
from tests.factories import notify as f
from tests.notify.conftest import Mailbox, _free_port


def _certificate(folder) -> tuple:  # noqa: ANN001
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_mailbox(tmp_path, settings):  # noqa: ANN001, ANN201
    """A real SMTP server that refuses mail until the client has switched on TLS."""
    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
    controller.start()
    settings.smtp_host, settings.smtp_port, settings.smtp_starttls = "127.0.0.1", port, True
    yield box, cert
    controller.stop()


def _send(uow, clock, settings, cast) -> Message:  # noqa: ANN001
    with uow() as session:
        f.preferences(session, clock, cast.ana.id, channels=(NotifyChannel.EMAIL,))
        return service.send(session=session, clock=clock, settings=settings, person_id=cast.ana.id,
                            template_key=f.RENEWAL, facts=f.RENEWAL_FACTS, why=f.why())


def test_with_starttls_configured_the_message_goes_over_tls(uow, clock, settings, cast, templates, tls_mailbox,
                                                            worker):
    box, cert = tls_mailbox
    settings.smtp_ca_file = cert
    sent = _send(uow, clock, settings, cast)

    worker.drain()

    assert len(box.to(cast.ana.email)) == 1
    with uow() as session:
        assert session.get(Message, sent.id).status is MessageStatus.SENT


def test_a_server_whose_certificate_is_not_trusted_gets_nothing(uow, clock, settings, cast, templates, tls_mailbox,
                                                                worker):
    box, _cert = tls_mailbox
    sent = _send(uow, clock, settings, cast)

    worker.drain()

    assert box.received == []
    with uow() as session:
        failed = session.get(Message, sent.id)
    assert failed.status is MessageStatus.QUEUED and "CERTIFICATE_VERIFY_FAILED" in failed.last_error
