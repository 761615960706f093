from openapi_spec_validator import validate
from openapi_spec_validator.versions import consts, get_spec_version


def test_the_api_description_is_valid_openapi_3_1(client):
    document = client.get("/api/v1/openapi.json").json()

    validate(document)
    assert get_spec_version(document) == consts.OPENAPIV31


def test_every_operation_has_a_stable_id_and_documents_its_problems(client):
    document = client.get("/api/v1/openapi.json").json()
    operations = [op for path in document["paths"].values() for op in path.values()]

    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert all("_" in i and not i.endswith("_get") for i in ids)
    for op in operations:
        for status in ("401", "403", "422"):
            assert "application/problem+json" in op["responses"][status]["content"], (op["operationId"], status)
