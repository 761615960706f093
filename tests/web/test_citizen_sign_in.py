from starlette.testclient import TestClient

from govcx.app import create_app
from govcx.core.config import Environment, Settings
from tests.web.helpers import csrf_token, sign_in_citizen

PRODUCTION_SECRET = "kX3v9Qm2pLr7Tz8Wc1Nb5Hd4Jf6Gs0Ya-Ue_Io2Pq8Rt5Vw3Xz7"


def test_the_development_sign_in_is_clearly_marked(client):
    page = client.get("/citizen/sign-in")

    assert page.status_code == 200
    assert "Development sign-in — replaced by the government's identity provider (OIDC) in production" in page.text


def test_a_person_signs_in_with_their_national_id_and_sees_their_record(client, ana):
    answer = sign_in_citizen(client, " nid-7700-1234 ")
    me = client.get("/me")

    assert answer.status_code == 303 and answer.headers["location"] == "/me"
    assert me.status_code == 200
    assert "Ana Lopez" in me.text


def test_an_unknown_national_id_signs_no_one_in(client, ana):
    answer = sign_in_citizen(client, "NID-0000-0000")

    assert answer.status_code == 422
    assert "No registered person has that national id" in answer.text
    assert client.get("/me").status_code == 401


def test_production_refuses_the_development_sign_in(database_url, tmp_path, clock, ana):
    settings = Settings(env=Environment.PRODUCTION, secret_key=PRODUCTION_SECRET, database_url=database_url,
                        data_dir=tmp_path, auto_upgrade=False, log_level="WARNING")
    # https, because production session cookies are Secure and would not come back over http.
    with TestClient(create_app(settings, clock=clock), base_url="https://testserver") as client:
        form = client.get("/citizen/sign-in")
        token = csrf_token(client, "/sign-in")
        posted = client.post("/citizen/sign-in", data={"national_id": "NID-7700-1234", "csrf_token": token})
        me = client.get("/me")

    assert form.status_code == 403 and posted.status_code == 403
    assert "switched off in production" in form.text and "switched off in production" in posted.text
    assert form.headers["content-type"].startswith("text/html")
    assert me.status_code == 401
