"""Templates: versioned, in the person's language, escaped in HTML, and sandboxed."""

from __future__ import annotations

import pytest

from govcx.core.errors import Invalid
from govcx.notify import schemas, service
from govcx.notify.models import MessageStatus, Topic
from tests.factories import notify as f


def _template(uow, clock, *, key="case.note", language="en", text="Hello {{ given_name }}: {{ note }}",  # noqa: ANN001, ANN202
              html="<p>{{ note }}</p>"):
    with uow() as session:
        return service.create_template(session=session, clock=clock, agency_id=None, data=schemas.TemplateCreate(
            key=key, language=language, topic=Topic.CASE_UPDATES, subject="A note", text_body=text, html_body=html))


def _send(uow, clock, settings, person, facts, key="case.note"):  # noqa: ANN001, ANN202
    with uow() as session:
        return service.send(session=session, clock=clock, settings=settings, person_id=person.id, template_key=key,
                            facts=facts, why=f.why())


def test_a_new_version_replaces_the_old_for_new_messages(uow, clock, settings, cast):
    _template(uow, clock)
    second = _template(uow, clock, text="Hi {{ given_name }}, {{ note }}")

    sent = _send(uow, clock, settings, cast.ana, {"note": "all done"})

    assert second.version == 2
    assert (sent.template_version, sent.text_body) == (2, "Hi Ana, all done")


def test_a_person_whose_language_has_no_version_gets_english(uow, clock, settings, cast):
    _template(uow, clock)
    with uow() as session:
        f.preferences(session, clock, cast.ana.id, language="es")

    sent = _send(uow, clock, settings, cast.ana, {"note": "done"})

    assert (sent.language, sent.text_body) == ("en", "Hello Ana: done")


def test_facts_are_escaped_in_the_html_body(uow, clock, settings, cast):
    _template(uow, clock)

    sent = _send(uow, clock, settings, cast.ana, {"note": "<script>alert(1)</script>"})

    assert sent.html_body == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_a_template_reaching_outside_the_sandbox_is_not_sent_and_says_why(uow, clock, settings, cast):
    _template(uow, clock, text="{{ note.__class__.__mro__ }}")

    sent = _send(uow, clock, settings, cast.ana, {"note": "x"})

    assert sent.status is MessageStatus.SKIPPED
    assert sent.skip_reason.startswith("template error in case.note v1: SecurityError")


def test_a_template_that_does_not_parse_is_refused(uow, clock):
    with pytest.raises(Invalid, match="does not parse"):
        _template(uow, clock, text="Hello {{ given_name ")
