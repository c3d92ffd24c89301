"""A checkpoint a record cites keeps its family, whoever edits it (the catalogue service holds the rule)."""

import pytest
from django.core.exceptions import ValidationError

from adoption.services import catalogue, records
from tests.factories import CountryFactory

pytestmark = pytest.mark.django_db


def test_a_cited_checkpoint_keeps_its_family_and_an_uncited_one_may_move(contributor, curator):
    country = CountryFactory()
    developer = catalogue.organization_create(name="Alibaba Cloud", country=country)
    qwen = catalogue.family_create(slug="qwen", name="Qwen", developer=developer, origin_country=country)
    llama = catalogue.family_create(slug="llama", name="Llama", developer=developer, origin_country=country)
    cited = catalogue.checkpoint_create(family=qwen, repo_id="Qwen/Qwen3-8B")
    free = catalogue.checkpoint_create(family=qwen, repo_id="Qwen/Qwen3-4B")
    records.adoption_create(user=contributor, data={"adopter": developer, "family": qwen, "checkpoint": cited,
                                                    "relation": "fine_tune"}, evidence=[])
    with pytest.raises(ValidationError) as refused:
        catalogue.checkpoint_update(checkpoint=cited, user=curator, data={"family": llama})
    assert refused.value.message_dict == {"family": ["Adoptions cite this checkpoint under its current family."]}
    cited.refresh_from_db()
    assert cited.family == qwen and cited.version == 1
    assert catalogue.checkpoint_update(checkpoint=cited, user=curator, data={"family": qwen, "name": "8B"}).name == "8B"
    assert catalogue.checkpoint_update(checkpoint=free, user=curator, data={"family": llama}).family == llama
