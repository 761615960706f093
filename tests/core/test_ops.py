import json
import logging

from starlette.testclient import TestClient

from govcx.app import create_app
from govcx.core.config import Environment


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_metrics_count_requests_by_route_template_not_raw_path(client):
    client.get("/api/v1/persons/01890a5d-ac96-774b-bcce-b302099a8057")

    text = client.get("/metrics").text

    assert 'govcx_http_requests_total{method="GET",route="/api/v1/persons/{person_id}",status="401"} 1.0' in text
    assert "01890a5d" not in text


def test_every_answer_carries_security_headers_and_a_request_id(client):
    answer = client.get("/healthz", headers={"X-Request-ID": "req-12345678"})

    assert answer.headers["x-request-id"] == "req-12345678"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in answer.headers


def test_request_logs_are_json_and_never_carry_what_was_searched(settings, clock, caplog):
    app = create_app(settings.model_copy(update={"log_level": "INFO"}), clock=clock)
    with TestClient(app) as client, caplog.at_level(logging.INFO, logger="govcx.http"):
        client.get("/api/v1/persons", params={"q": "Zebulon Quixote"})

    ours = [r.getMessage() for r in caplog.records if r.name.startswith("govcx")]
    line = json.loads(ours[-1])

    assert line["route"] == "/api/v1/persons" and line["status"] == 401 and line["request_id"]
    assert not any("Zebulon" in message for message in ours)


def test_production_answers_insist_on_https(settings, clock):
    production = settings.model_copy(update={"env": Environment.PRODUCTION})
    with TestClient(create_app(production, clock=clock)) as client:
        answer = client.get("/healthz")

    assert answer.headers["strict-transport-security"].startswith("max-age=")


def test_only_survey_pages_may_be_framed_by_other_sites(client):
    survey = client.get("/survey/anything")
    other = client.get("/healthz")

    assert "frame-ancestors *" in survey.headers["content-security-policy"]
    assert "x-frame-options" not in survey.headers
    assert other.headers["x-frame-options"] == "DENY"
