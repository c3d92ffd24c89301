"""Schemathesis against the live schema, in-process through the WSGI app: every operation, as anonymous
and as a contributor, property-based (examples, coverage and fuzzing phases, positive and negative data)
and stateful. No 5xx, and every response conforms to the schema: a documented status code, content type,
headers and body.

The fuzzing runs under several fixed seeds, so a run is repeatable and still explores more than one path
through the inputs; the first seed also runs the coverage phase (boundary and invalid values of every
parameter, path parameters included). SCHEMATHESIS_EXAMPLES and SCHEMATHESIS_SEEDS (comma-separated)
widen or narrow a run, e.g. `SCHEMATHESIS_EXAMPLES=200 SCHEMATHESIS_SEEDS=1,2,3,4` for a deep one.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import ignored_auth

from adoption.choices import Status
from tests.factories import (
    AdoptionFactory,
    CheckpointFactory,
    CountryFactory,
    EvidenceFactory,
    ModelFamilyFactory,
    OrganizationFactory,
)

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "30"))
SEEDS = [int(seed) for seed in os.environ.get("SCHEMATHESIS_SEEDS", "29112026,20261203,7").split(",")]
HYPOTHESIS = {
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}
# Every response check on, and failing the test; bodies name other objects by slug or id, so a schema-valid
# body may name one that does not exist and a 400 is the right answer (positive_data_acceptance off).
CHECKS = {
    **{name: {"enabled": True} for name in (
        "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
        "response_schema_conformance", "negative_data_rejection", "missing_required_header",
    )},
    "positive_data_acceptance": {"enabled": False},
}


# Schemathesis asks for gzip like a browser, but its WSGI transport hands the body over undecoded: the
# schema checks read plain bodies (compression has its own tests, tests/registry/test_page_weight.py).
IDENTITY = {"Accept-Encoding": "identity"}


def load_schema(seed: int, *, coverage: bool):
    """The schema with its own seed; loaded at collection (the schema view reads no data)."""
    phases = {"examples": {"enabled": coverage}, "coverage": {"enabled": coverage}, "fuzzing": {"enabled": True}}
    config = schemathesis.Config.from_dict({"seed": seed, "checks": CHECKS, "phases": phases})
    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=config)


SCHEMAS = {seed: load_schema(seed, coverage=index == 0) for index, seed in enumerate(SEEDS)}
schema = SCHEMAS[SEEDS[0]]


@pytest.fixture
def live_app(no_throttles, contributor, curator):
    """The app as a client meets it, inside the test's transaction, without throttles getting in the way."""
    # Django's test client does the same: raw WSGI calls must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # The catalogue the schema's request examples name.
    adopter = OrganizationFactory(name="AI Singapore", slug="ai-singapore", country=CountryFactory())
    ModelFamilyFactory(slug="llama", name="Llama")
    family = ModelFamilyFactory(slug="qwen", name="Qwen")
    checkpoint = CheckpointFactory(family=family, repo_id="Qwen/Qwen3-32B")
    for status, owner in [(Status.PUBLISHED, curator), (Status.PUBLISHED, contributor), (Status.DRAFT, contributor),
                          (Status.SUBMITTED, contributor)]:
        EvidenceFactory(adoption=AdoptionFactory(adopter=adopter, family=family, checkpoint=checkpoint,
                                                 status=status, created_by=owner))
    yield {None: dict(IDENTITY)} | {
        user.username: {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}", **IDENTITY}
        for user in (contributor, curator)}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def conformance_test(seeded_schema, *, username: str | None):
    """One test per operation: every generated request answers as the schema says."""

    @pytest.mark.django_db
    @seeded_schema.parametrize()
    @hypothesis_settings(max_examples=EXAMPLES, phases=[Phase.explicit, Phase.generate], **HYPOTHESIS)
    def test(case, live_app):
        case.call_and_validate(headers=live_app[username])

    return test


# Anonymous and as a contributor under every seed; as a curator (the catalogue's writes, the decisions) under
# the first, which found a slug read from a number.
for _seed, _schema in SCHEMAS.items():
    for _role, _username in {"anonymous": None, "contributor": "carla", "curator": "cura"}.items():
        if _role != "curator" or _seed == SEEDS[0]:
            globals()[f"test_every_operation_conforms_as_{_role}_seed_{_seed}"] = conformance_test(
                _schema, username=_username)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "contributor"])
def test_stateful_workflows_conform(role, live_app):
    headers = live_app["carla" if role == "contributor" else None]

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": dict(headers)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The token is passed per call, so schemathesis takes it for generated auth: the anonymous run and
            # the property tests above check that auth is enforced.
            case.validate_response(response, additional_checks=additional_checks, excluded_checks=[ignored_auth],
                                   transport_kwargs=kwargs or None, recorder=self.recorder)

    Workflow.run(settings=hypothesis_settings(max_examples=EXAMPLES, stateful_step_count=8, derandomize=True,
                                              **HYPOTHESIS))
