"""Emails go out in the recipient's language: a decision in the contributor's account language (whatever the
curator reads the site in), a sign-up email in the language the sign-up was made in; the account page sets it.

The expected texts are the catalogue's (`translation.override(code)` + gettext). A msgid the real catalogue does
not translate yet gets a pseudo translation from a catalogue built for the test, so an email written in the
wrong language fails now, and the same tests check the real translations once they land.
"""

import re

import polib
import pytest
from django.core import mail
from django.utils import translation

from adoption.choices import Action, Status
from adoption.models import AccountSettings
from adoption.services.accounts import account_language_set
from adoption.services.notifications import SENTENCES, SUBJECTS
from tests.factories import AdoptionFactory, EvidenceFactory

PASSWORD = "a-long-Passw0rd!"
GREETING, CURATOR_WROTE = "Hello %(username)s,", "The curator wrote:"
SIGN_UP_MSGIDS = ["Confirm your account", "Welcome to the Model Adoption Registry, %(username)s.",
                  "Follow this link to activate your account and sign in:",
                  "If you did not sign up, ignore this email: the account stays inactive."]


def msgid(lazy) -> str:
    """A lazy text's msgid: English is the source language, its catalogue translates nothing."""
    with translation.override("en"):
        return str(lazy)


MSGIDS = [*map(msgid, [*SUBJECTS.values(), *SENTENCES.values()]), GREETING, CURATOR_WROTE, *SIGN_UP_MSGIDS]


@pytest.fixture
def pseudo_catalogues(tmp_path, settings):
    """fr and es catalogues for the email msgids the real ones lack ("[fr] ..."), placed before the real ones."""
    for code in ("fr", "es"):
        with translation.override(code):
            missing = [msgid for msgid in MSGIDS if translation.gettext(msgid) == msgid]
        catalogue = polib.POFile()
        catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": code,
                              "Plural-Forms": "nplurals=2; plural=(n != 1);"}
        for msgid in missing:
            catalogue.append(polib.POEntry(msgid=msgid, msgstr=f"[{code}] {msgid}"))
        folder = tmp_path / translation.to_locale(code) / "LC_MESSAGES"
        folder.mkdir(parents=True)
        catalogue.save_as_mofile(str(folder / "django.mo"))
    # Changing LOCALE_PATHS empties Django's translation cache (django.test.signals), before and after.
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]


def in_language(code: str, msgid: str, **values) -> str:
    with translation.override(code):
        text = translation.gettext(msgid)
    return text % values if values else text


@pytest.mark.django_db
@pytest.mark.parametrize("action", [Action.APPROVE, Action.REJECT, Action.REQUEST_CHANGES])
def test_a_decision_email_is_in_the_contributors_language_not_the_curators(
    action, pseudo_catalogues, signed_in, contributor, curator, django_capture_on_commit_callbacks
):
    account_language_set(user=contributor, language="fr")
    adoption = AdoptionFactory(status=Status.IN_REVIEW, created_by=contributor, reviewer=curator)
    EvidenceFactory(adoption=adoption)
    record = str(adoption)
    client = signed_in(curator)
    # The curator works in English, and the email is written (on commit) while English is active.
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/moderation/{adoption.pk}/", {
            "action": action, "comment": "Merci de citer la fiche du modèle.", "version": adoption.version,
        }, headers={"accept-language": "en"})
    assert answer.status_code == 302
    [email] = mail.outbox
    subject = in_language("fr", msgid(SUBJECTS[action]), record=record)
    sentence = in_language("fr", msgid(SENTENCES[action]), record=f"#{adoption.pk} {record}")
    assert email.subject == subject
    lines = email.body.splitlines()
    assert sentence in lines
    assert email.body.startswith(in_language("fr", GREETING, username=contributor.username))
    assert f"{in_language('fr', CURATOR_WROTE)}\nMerci de citer la fiche du modèle." in email.body
    # Not the curator's English: the French texts differ from it (the real or the pseudo catalogue's).
    assert msgid(SUBJECTS[action]) % {"record": record} != subject
    assert msgid(SENTENCES[action]) % {"record": f"#{adoption.pk} {record}"} not in lines


@pytest.mark.django_db
def test_a_decision_email_without_a_chosen_language_is_in_the_default(
    pseudo_catalogues, contributor, curator, django_capture_on_commit_callbacks
):
    from adoption.services import moderation

    adoption = AdoptionFactory(status=Status.IN_REVIEW, created_by=contributor, reviewer=curator)
    EvidenceFactory(adoption=adoption)
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):  # the curator reads French
        moderation.adoption_approve(adoption=adoption, user=curator)
    [email] = mail.outbox
    assert email.subject == msgid(SUBJECTS[Action.APPROVE]) % {"record": str(adoption)}


@pytest.mark.django_db
def test_a_sign_up_made_in_spanish_is_confirmed_in_spanish_and_keeps_spanish(pseudo_catalogues, client):
    answer = client.post("/accounts/signup/", {
        "username": "nueva", "email": "nueva@example.org", "password1": PASSWORD, "password2": PASSWORD,
    }, headers={"accept-language": "es-ES,es;q=0.9"})
    assert answer.status_code == 200
    [email] = mail.outbox
    assert email.subject == in_language("es", "Confirm your account") != "Confirm your account"
    assert email.body.startswith(in_language("es", SIGN_UP_MSGIDS[1], username="nueva"))
    lines = email.body.splitlines()
    assert in_language("es", SIGN_UP_MSGIDS[2]) in lines and SIGN_UP_MSGIDS[2] not in lines
    assert AccountSettings.objects.get(user__username="nueva").language == "es"


@pytest.mark.django_db
def test_the_account_page_changes_the_stored_language(signed_in, contributor):
    client = signed_in(contributor)
    page = client.get("/accounts/").content.decode()
    form = page[page.index('action="/accounts/language/"'):]
    assert '<option value="en" selected>English</option>' in form  # the default until one is chosen
    assert '<option value="sw">Kiswahili</option>' in form
    answer = client.post("/accounts/language/", {"language": "sw"})
    assert answer.status_code == 302 and answer["Location"] == "/accounts/"
    assert AccountSettings.objects.get(user=contributor).language == "sw"
    page = client.get("/accounts/").content.decode()
    assert '<option value="sw" selected>Kiswahili</option>' in page
    assert "Your emails will be written in Kiswahili." in page
    # An unknown code changes nothing.
    client.post("/accounts/language/", {"language": "tlh"})
    assert AccountSettings.objects.get(user=contributor).language == "sw"


@pytest.mark.django_db
def test_the_language_form_needs_a_signed_in_post(client, signed_in, contributor):
    answer = client.post("/accounts/language/", {"language": "fr"})
    assert answer.status_code == 302 and re.match(r"/accounts/login/\?next=", answer["Location"])
    assert signed_in(contributor).get("/accounts/language/").status_code == 405
    assert not AccountSettings.objects.exists()
