"""The portal in the reader's language and time: the person's saved preference, the switch that saves it,
their details page, durations, numbers and dates in Spanish, the government's time zone, and error pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from govcx.app import create_app
from govcx.core.accounts import Role
from govcx.core.config import Settings
from govcx.registry import schemas, service
from govcx.web import i18n
from tests.factories import registry as factories
from tests.web.helpers import csrf_token, sign_in_citizen, sign_in_staff


def _person(uow, clock, cipher, *, language: str = "en", national_id: str = "NID-7700-1234"):  # noqa: ANN001, ANN202
    with uow() as session:
        person = factories.person(session, clock, cipher, given_name="Ana", family_name="Lopez",
                                  national_id=national_id)
        return service.update_person(session=session, person_id=person.id, clock=clock,
                                     data=schemas.PersonUpdate(preferred_language=language))


def _saved_language(uow, person_id) -> str:  # noqa: ANN001
    with uow() as session:
        return service.get_person(session=session, person_id=person_id).preferred_language


def _lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


# Formats ---------------------------------------------------------------------------------------


def test_durations_numbers_and_dates_read_as_each_language_writes_them() -> None:
    assert i18n.format_duration(20) == "20 minutes"
    assert i18n.format_duration(90) == "1 hour 30 minutes"
    assert i18n.format_duration(3 * 24 * 60) == "3 days"
    assert i18n.format_number(12345) == "12,345"
    assert i18n.format_date(date(2026, 3, 16)) == "16 March 2026"
    with i18n.use_language("es"):
        assert i18n.format_duration(20) == "20 minutos"
        assert i18n.format_duration(61) == "1 hora 1 minuto"
        assert i18n.format_duration(2 * 24 * 60 + 120) == "2 días 2 horas"
        assert i18n.format_duration(0) == "0 minutos"
        assert i18n.format_number(12345) == "12.345"
        assert i18n.format_date(date(2026, 3, 16)) == "16 de marzo de 2026"
        assert i18n.format_money(1234.5, "USD") == "1.234,50\xa0US$"


def test_moments_are_shown_on_the_governments_clock() -> None:
    late_evening_in_bogota = datetime(2026, 3, 16, 2, 30, tzinfo=UTC)
    i18n.set_time_zone("America/Bogota")
    try:
        assert i18n.format_date(late_evening_in_bogota) == "15 March 2026"
        assert i18n.format_time(late_evening_in_bogota) == "9:30\u202fPM"
        with i18n.use_language("es"):
            assert i18n.format_date(late_evening_in_bogota) == "15 de marzo de 2026"
            assert i18n.format_time(late_evening_in_bogota) == "21:30"
    finally:
        i18n.set_time_zone("UTC")
    assert i18n.format_date(late_evening_in_bogota) == "16 March 2026"


def test_the_time_zone_setting_refuses_a_zone_that_does_not_exist(tmp_path) -> None:  # noqa: ANN001
    assert Settings(data_dir=tmp_path, time_zone="America/Bogota").time_zone == "America/Bogota"
    with pytest.raises(ValidationError, match="not a time zone"):
        Settings(data_dir=tmp_path, time_zone="Mars/Olympus_Mons")


# The saved preference --------------------------------------------------------------------------


def test_a_signed_in_person_reads_the_portal_in_their_saved_language(client, uow, clock, cipher) -> None:
    _person(uow, clock, cipher, language="es")
    sign_in_citizen(client, "NID-7700-1234")

    page = client.get("/me", headers={"Accept-Language": "en"})
    assert _lang(page.text) == "es" and "Lo que el Gobierno tiene sobre mí" in page.text
    assert "16 de marzo de 1985" not in page.text and "2 de abril de 1985" in page.text

    # The switch's cookie wins over the saved preference.
    client.cookies.set(i18n.COOKIE, "en")
    assert _lang(client.get("/me").text) == "en"


def test_using_the_switch_while_signed_in_saves_the_preference(app, uow, clock, cipher) -> None:
    person = _person(uow, clock, cipher, language="en")
    with TestClient(app) as first_device:
        sign_in_citizen(first_device, "NID-7700-1234")
        switched = first_device.get("/language/es", params={"next": "/me"}, follow_redirects=False)
        assert switched.status_code == 303 and switched.headers["location"] == "/me"
    assert _saved_language(uow, person.id) == "es"

    # Another browser, without the cookie, finds the person's choice once they sign in.
    with TestClient(app) as second_device:
        assert _lang(second_device.get("/").text) == "en"
        sign_in_citizen(second_device, "NID-7700-1234")
        assert _lang(second_device.get("/").text) == "es"


def test_a_visitor_using_the_switch_changes_no_one(client, uow, clock, cipher) -> None:
    person = _person(uow, clock, cipher, language="en")
    client.get("/language/es", params={"next": "/"})
    assert _saved_language(uow, person.id) == "en"


def test_a_person_changes_their_language_on_their_details_page(client, uow, clock, cipher) -> None:
    person = _person(uow, clock, cipher, language="en")
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, "/me")

    saved = client.post("/me/language", data={"language": "es", "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/me?saved=language"
    assert _saved_language(uow, person.id) == "es"
    page = client.get("/me?saved=language").text
    assert _lang(page) == "es" and "Su idioma se ha guardado." in page
    assert re.search(r'<option value="es" lang="es" selected>Español</option>', page)


def test_an_unknown_language_is_refused_beside_the_field_and_changes_nothing(client, uow, clock, cipher) -> None:
    person = _person(uow, clock, cipher, language="en")
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, "/me")

    refused = client.post("/me/language", data={"language": "xx", "csrf_token": token})

    assert refused.status_code == 422
    assert 'id="language-error"' in refused.text and "Choose one of the languages in the list." in refused.text
    assert 'href="#language"' in refused.text  # the error summary links to the field
    assert _saved_language(uow, person.id) == "en"


def test_the_language_form_needs_the_csrf_token(client, uow, clock, cipher) -> None:
    person = _person(uow, clock, cipher, language="en")
    sign_in_citizen(client, "NID-7700-1234")
    refused = client.post("/me/language", data={"language": "es"})
    assert refused.status_code == 403 and _saved_language(uow, person.id) == "en"


# Pages and errors in Spanish -------------------------------------------------------------------

SPANISH = {"Accept-Language": "es"}


def test_the_home_page_and_sign_ins_are_spanish_throughout(client) -> None:
    home = client.get("/", headers=SPANISH).text
    assert "Servicios públicos que preguntan una sola vez" in home and "Un sitio web oficial del Gobierno" in home
    assert ">Inicio<" in home and "Catálogo de datos" in home and "Acceso para personas" in home
    assert "Official websites" not in home and "Sign in" not in home

    staff = client.get("/sign-in", headers=SPANISH).text
    assert "Acceso del personal" in staff and "Contraseña" in staff


def test_sign_in_errors_are_in_spanish(client, uow, clock, cipher, staff_of) -> None:
    client.cookies.set(i18n.COOKIE, "es")
    token = csrf_token(client, "/citizen/sign-in")
    unknown = client.post("/citizen/sign-in", data={"national_id": "NID-0000-0000", "csrf_token": token})
    empty = client.post("/citizen/sign-in", data={"national_id": " ", "csrf_token": token})
    wrong = sign_in_staff(client, staff_of(Role.STAFF), password="not the password")

    assert unknown.status_code == 422 and "Ninguna persona registrada tiene ese número" in unknown.text
    assert "No ha iniciado sesión" in unknown.text
    assert "Escriba su número de identificación nacional." in empty.text
    assert wrong.status_code == 401 and "no corresponden a ninguna cuenta activa" in wrong.text


def test_error_pages_are_in_spanish(client, uow, clock, cipher, staff_of) -> None:
    missing = client.get("/no/such/page", headers=SPANISH)
    unsigned = client.get("/me", headers=SPANISH)

    assert missing.status_code == 404 and "Página no encontrada" in missing.text and _lang(missing.text) == "es"
    assert unsigned.status_code == 401 and "Inicie sesión para continuar" in unsigned.text
    assert "Inicie sesión primero." in unsigned.text and "Error 401" in unsigned.text

    sign_in_staff(client, staff_of(Role.STAFF))
    forbidden = client.get("/cx/regions", headers=SPANISH)
    # The problem's own words have no translation: a Spanish explanation, and the original marked as English.
    assert forbidden.status_code == 403 and "No puede abrir esta página" in forbidden.text
    assert "Su cuenta no tiene permiso" in forbidden.text and '<p lang="en">This action needs' in forbidden.text


def test_a_crash_page_is_in_spanish(settings, clock, engine) -> None:
    app = create_app(settings, clock=clock)

    def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/boom", headers=SPANISH)

    assert page.status_code == 500 and "Algo ha fallado por nuestra parte" in page.text
    assert "secret internals" not in page.text


def test_the_data_catalogue_and_regions_speak_spanish(client, uow, clock, cipher, tax, staff_of, settings) -> None:
    with uow() as session:
        service.create_data_attribute(session=session, clock=clock, data=schemas.DataAttributeCreate(
            key="person.given_name", name="Given name", subject_kind="person", value_type="string",
            sensitivity="public", source_agency_id=tax.id))
        north = service.create_region(session=session, clock=clock, data=schemas.RegionCreate(code="N", name="Norte"))
        for n in range(settings.suppression_threshold + 2):
            factories.person(session, clock, cipher, given_name=f"N{n}", family_name="North", region_id=north.id)
    catalogue = client.get("/data-catalogue", headers=SPANISH).text
    assert "Fuente oficial" in catalogue and ">Público</span>" in catalogue and ">Persona<" in catalogue

    sign_in_staff(client, staff_of(Role.CX_ANALYST))
    regions = client.get("/cx/regions", headers=SPANISH).text
    assert "Población por región" in regions and "Los grupos de menos de 10 se ocultan" in regions
