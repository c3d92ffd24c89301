"""Schemathesis against the live schema, in-process through the WSGI app: every operation, as anonymous
and as a contributor, property-based and stateful. No 5xx, and every response conforms to the schema
(status codes, headers, bodies).

The example budget is small and derandomized so the suite stays fast and repeatable; raise
SCHEMATHESIS_EXAMPLES locally for a deeper run.
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

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
HYPOTHESIS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}


# Bodies name other objects by slug or id: a schema-valid body may still name one that does not exist,
# so a 400 for valid-looking data is the right answer, not a failure (positive_data_acceptance off).
CONFIG = schemathesis.Config.from_dict({"checks": {"positive_data_acceptance": {"enabled": False}}})


# Loaded at collection (the schema view reads no data); one test per operation follows from it.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)


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
    yield {"Authorization": f"Token {Token.objects.get_or_create(user=contributor)[0].key}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES, phases=[Phase.explicit, Phase.generate], **HYPOTHESIS)
def test_every_operation_conforms_as_anonymous(case, live_app):
    case.call_and_validate()


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES, phases=[Phase.explicit, Phase.generate], **HYPOTHESIS)
def test_every_operation_conforms_as_contributor(case, live_app):
    case.call_and_validate(headers=live_app)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "contributor"])
def test_stateful_workflows_conform(role, live_app):
    headers = live_app if role == "contributor" else {}

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": dict(headers)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The token is passed per call, so schemathesis takes it for generated auth: the anonymous run and
            # the property tests above check that auth is enforced.
            case.validate_response(response, additional_checks=additional_checks, excluded_checks=[ignored_auth],
                                   transport_kwargs=kwargs or None, recorder=self.recorder)

    Workflow.run(settings=hypothesis_settings(max_examples=EXAMPLES * 2, stateful_step_count=8, **HYPOTHESIS))
