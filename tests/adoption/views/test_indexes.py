"""The index pages: /countries/, /organizations/, /families/ and /accounts/ list what their detail pages
show, search without caring for case or accents, never list an unpublished organization, and answer bad
parameters with a page or a 4xx, never a 500."""

import pytest
from django.db.models import Q

from adoption.choices import OrganizationKind, Status
from adoption.models import Organization
from adoption.search import search_names
from adoption.text import fold
from tests.factories import AdoptionFactory, CountryFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


@pytest.fixture
def brazil(db):
    americas = {"region": None, "subregion": None}
    return CountryFactory(iso2="BR", iso3="BRA", numeric="076", name="Brazil", **americas)


@pytest.fixture
def usp(brazil):
    return OrganizationFactory(name="Universidade de São Paulo", slug="usp", kind=OrganizationKind.UNIVERSITY,
                               country=brazil, aliases=["USP", "Université de São Paulo"])


# /countries/

def test_countries_lists_adopter_and_origin_countries_with_counts(client, published, aisg, qwen, llama):
    AdoptionFactory(adopter=aisg, family=llama, published=True)
    AdoptionFactory(adopter=OrganizationFactory(name="GovTech", country=aisg.country), family=qwen, published=True)
    AdoptionFactory(adopter=aisg, family=qwen, status=Status.SUBMITTED)  # not counted
    response = client.get("/countries/")
    assert response.status_code == 200
    body = response.content.decode()
    row = body[body.index('href="/countries/SG/"'):]
    row = row[:row.index("</tr>")]
    # Singapore: three published adoptions by two adopters; it develops no family.
    assert '"num">3</td>' in row and '"num">2</td>' in row and '"num">0</td>' in row
    assert "<h2" in body and ">Asia</h2>" in body and "South-eastern Asia" in row
    # China and the US develop the families but have no adopter: listed, with zero adoptions.
    assert 'href="/countries/CN/"' in body and 'href="/countries/US/"' in body
    assert "1 country has published adoptions" in body


def test_countries_hides_countries_without_records_unless_asked(client, published, brazil):
    assert 'href="/countries/BR/"' not in client.get("/countries/").content.decode()
    body = client.get("/countries/?all=on").content.decode()
    assert 'href="/countries/BR/"' in body and "No M49 region" in body
    assert 'name="all"' in body and "checked" in body


def test_countries_order_by_name_or_count(client, published, aisg, qwen, usa):
    AdoptionFactory(adopter=OrganizationFactory(name="Texas Gov", country=usa), family=qwen, published=True)
    AdoptionFactory(adopter=OrganizationFactory(name="Ohio Gov", country=usa), family=qwen, published=True)
    body = client.get("/countries/").content.decode()  # all three in Asia (the factories' default)
    assert body.index("/countries/US/") < body.index("/countries/SG/") < body.index("/countries/CN/")
    body = client.get("/countries/?ordering=name").content.decode()
    assert body.index("/countries/CN/") < body.index("/countries/SG/") < body.index("/countries/US/")


@pytest.mark.parametrize("query", ["ordering=sideways", "ordering=%00", "all=%00&ordering=name%00"])
def test_countries_bad_parameters_are_400_with_the_page(client, published, query):
    response = client.get(f"/countries/?{query}")
    assert response.status_code == 400
    assert 'href="/countries/SG/"' in response.content.decode()


# /organizations/

def test_organizations_lists_published_ones_with_counts(signed_in, client, published, aisg, qwen, contributor, curator):
    AdoptionFactory(adopter=aisg, family=ModelFamilyFactory(slug="gemma", name="Gemma"), published=True)
    OrganizationFactory(name="Proposed Lab", slug="proposed-lab", is_published=False, created_by=contributor)
    OrganizationFactory(name="AISG duplicate", slug="aisg-duplicate", merged_into=aisg)
    for user in (None, contributor, curator):  # not even its proposer or a curator sees a proposal listed
        if user:
            client = signed_in(user)
        body = client.get("/organizations/").content.decode()
        assert "Proposed Lab" not in body and "AISG duplicate" not in body
        assert 'href="/organizations/ai-singapore/"' in body
    row = body[body.index('href="/organizations/ai-singapore/"'):]
    row = row[:row.index("</tr>")]
    assert 'href="/adoptions/?adopter=ai-singapore">2</a>' in row and 'href="/countries/SG/"' in row
    alibaba = body[body.index(">Alibaba</a>"):]
    assert '"num">0</td>' in alibaba[:alibaba.index("</tr>")] and '"num">1</td>' in alibaba[:alibaba.index("</tr>")]


@pytest.mark.parametrize("query", ["sao paulo", "SÃO PAULO", "universite", "usp", "Paulo", "saopaulo",
                                   "Universidade-de-Sao-Paulo"])
def test_organizations_search_ignores_case_and_accents(client, published, usp, query):
    response = client.get("/organizations/", {"q": query})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'href="/organizations/usp/"' in body and 'href="/organizations/ai-singapore/"' not in body
    assert f'value="{query}"' in body  # the form keeps the query
    assert "1 organization matches" in body


def test_organizations_filter_by_country_and_kind(client, published, usp):
    body = client.get("/organizations/?country=br&kind=university").content.decode()
    assert "/organizations/usp/" in body and "/organizations/ai-singapore/" not in body
    body = client.get("/organizations/?kind=government").content.decode()
    assert "No published organization matches these filters" in body


def test_organizations_paginate_and_keep_the_query(client, singapore, django_assert_max_num_queries):
    for n in range(60):
        OrganizationFactory(name=f"Lab {n:02d}", country=singapore)
    with django_assert_max_num_queries(6):
        body = client.get("/organizations/?q=lab").content.decode()
    assert "Page 1 of 2" in body and 'href="?q=lab&amp;page=2"' in body and "Lab 00" in body
    body = client.get("/organizations/?q=lab&page=2").content.decode()
    assert "Lab 59" in body and "Lab 00" not in body


@pytest.mark.parametrize("query", ["page=abc", "page=99999", "page=-1", "page=%00", "q=", "q=%25_"])
def test_organizations_odd_pages_and_queries_answer_a_page(client, published, query):
    assert client.get(f"/organizations/?{query}").status_code == 200


@pytest.mark.parametrize("query", ["kind=spaceship", "country=ZZ", "country=%00", "q=a%00b", "q=" + "x" * 201])
def test_organizations_bad_values_are_400_naming_the_field(client, published, query):
    response = client.get(f"/organizations/?{query}")
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()


# /families/

def test_families_list_developer_origin_licence_and_counts(client, published, aisg, qwen, llama, usa):
    qwen.default_license = "Apache-2.0"
    qwen.save()
    AdoptionFactory(adopter=OrganizationFactory(name="Texas Gov", country=usa), family=qwen, published=True)
    AdoptionFactory(adopter=aisg, family=qwen, published=True)
    body = client.get("/families/").content.decode()
    assert body.index('href="/families/qwen/"') < body.index('href="/families/llama/"')  # most adopted first
    row = body[body.index('href="/families/qwen/"'):]
    row = row[:row.index("</tr>")]
    assert ">Alibaba</a>" in row and 'href="/countries/CN/">China</a>' in row and "Apache-2.0" in row
    # 3 adoptions by 2 adopters in 2 countries
    assert 'href="/adoptions/?family=qwen">3</a>' in row
    assert '"Adopters" class="num">2</td>' in row and '"Adopter countries" class="num">2</td>' in row


def test_families_search_by_name_or_developer(client, published, qwen, llama):
    body = client.get("/families/?q=ALIBABA").content.decode()
    assert "/families/qwen/" in body and "/families/llama/" not in body
    body = client.get("/families/?q=lla").content.decode()
    assert "/families/llama/" in body and "/families/qwen/" not in body


def test_families_do_not_link_an_unpublished_developer(client, qwen):
    qwen.developer.is_published = False
    qwen.developer.save()
    body = client.get("/families/").content.decode()
    assert "Alibaba" in body and f'href="{qwen.developer.get_absolute_url()}"' not in body


@pytest.mark.parametrize("query", ["origin_country=XX", "developer=nobody", "q=%00"])
def test_families_bad_values_are_400(client, qwen, query):
    assert client.get(f"/families/?{query}").status_code == 400


# /accounts/

def test_accounts_index_anonymous_offers_the_ways_in(client):
    body = client.get("/accounts/").content.decode()
    assert 'href="/accounts/login/"' in body and 'href="/accounts/signup/"' in body
    assert 'href="/accounts/password_reset/"' in body and "Log out of this account" not in body


def test_accounts_index_signed_in_shows_the_account(signed_in, curator):
    client = signed_in(curator)
    body = client.get("/accounts/").content.decode()
    assert "cura@example.org" in body and ">curator</span>" in body
    for href in ("/accounts/token/", "/accounts/password_change/", "/me/submissions/", "/moderation/"):
        assert f'href="{href}"' in body
    logout = body[body.rindex('action="/accounts/logout/"'):]  # the page's own form, after the header's
    assert 'name="csrfmiddlewaretoken"' in logout[:400] and "Log out of this account" in logout[:400]
    assert 'href="/accounts/" title="Your account and API token">cura</a>' in body  # the header's link


def test_accounts_index_is_read_only(signed_in, contributor):
    client = signed_in(contributor)
    assert client.post("/accounts/").status_code == 405


def test_navigation_links_the_indexes(client):
    body = client.get("/").content.decode()
    for href in ("/organizations/", "/families/", "/countries/", "/api/v1/"):
        assert f'href="{href}"' in body
    assert 'href="/countries/" aria-current="page"' in client.get("/countries/").content.decode()


# The search itself, on both databases: PostgreSQL folds in SQL, SQLite (the demo) in Python.

def test_fold_drops_case_accents_and_nul():
    assert fold("  Université  de SÃO\x00 Paulo ") == "universite de sao paulo"
    assert fold("Łódź Øresund Đà Nẵng") == "lodz oresund da nang"
    assert fold("北京大学") == "北京大学"


def test_search_names_matches_in_sql_and_in_the_python_fallback(usp):
    from adoption.search import search_in_python

    queryset = Organization.objects.filter(Q(pk=usp.pk) | Q(pk__isnull=True))
    assert list(search_names(queryset, "SAO PAULO", ("name",), ("aliases",))) == [usp]
    assert list(search_names(queryset, "universite", ("name",), ("aliases",))) == [usp]
    assert list(search_names(queryset, "100%", ("name",), ("aliases",))) == []  # % is not a wildcard
    for needle, found in (("sao paulo", [usp]), ("universite", [usp]), ("nowhere", [])):
        assert list(search_in_python(queryset, needle, ("name",), ("aliases",))) == found


@pytest.mark.parametrize("page", ["/adoptions/", "/organizations/", "/families/"])
def test_the_json_link_keeps_the_filters_but_not_the_page(client, published, page):
    # The API pages by another size: page 3 of the page may not exist there (it answered 404).
    body = client.get(f"{page}?q=a&page=3").content.decode()
    assert f'href="/api/v1{page}?q=a">this list as JSON' in body


def test_index_pages_take_a_few_queries_whatever_the_data(client, qwen, llama, singapore, usa,
                                                          django_assert_max_num_queries):
    for n in range(20):
        AdoptionFactory(adopter=OrganizationFactory(name=f"Lab {n:02d}", country=(singapore, usa)[n % 2]),
                        family=(qwen, llama)[n % 2], published=True)
    for page in ("/countries/", "/countries/?all=on", "/families/", "/organizations/?q=lab&kind=company"):
        with django_assert_max_num_queries(6):
            assert client.get(page).status_code == 200
