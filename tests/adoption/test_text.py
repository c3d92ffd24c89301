"""Text normalisation (adoption.text): what makes two names one, how a name displays, how search folds."""

import importlib
import sys

import pytest

from adoption.text import fold, name_key, name_words, visible_name

FROZEN = importlib.import_module("adoption.migrations.0010_trigram")


def test_case_accents_spacing_and_punctuation_do_not_make_another_name():
    key = name_key("Kigali  Speech Co-op")
    assert key == "kigalispeechcoop"
    for same in ("kigali speech coop", "Kigali Spéech Co-op", "KIGALI SPEECH CO-OP", "Kigali\u200b Speech\u202e Co.op"):
        assert name_key(same) == key, same
    assert name_key("Kigali Speech Co-op 2") != key
    assert name_words("The AI-Singapore, Ltd.") == ["the", "ai", "singapore", "ltd"]
    assert name_key("北京大学") == "北京大学"  # other scripts are letters too


def test_name_key_is_the_one_migration_0010_stored():
    """Stored keys stay valid: the live function agrees with the copy migration 0010 froze, on every
    character (in runs, so neighbouring marks combine as they would in a name)."""
    codes = [code for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF]
    for start in range(0, len(codes), 64):
        text = "".join(map(chr, codes[start:start + 64]))
        assert name_key(text) == FROZEN._key(text), hex(codes[start])
    for text in ("Université de São Paulo", "Ǆemal ﬁsh", "AI\u00a0Singapore", "İstanbul Teknik", ""):
        assert name_key(text) == FROZEN._key(text)


def test_visible_name_drops_what_could_spoof_a_name():
    assert visible_name("Evil\u202eoc.labs\u200b") == "Eviloc.labs"
    assert visible_name("  AI\t Singapore\n") == "AI Singapore"
    assert visible_name("\u2067Kigali\u2069 Lab\ufeff") == "Kigali Lab"
    assert visible_name("می\u200cخواهم") == "می\u200cخواهم"  # the zero-width non-joiner is part of Persian words


@pytest.mark.parametrize(("text", "folded"), [
    ("  Université  de SÃO\x00 Paulo ", "universite de sao paulo"),
    ("Łódź Øresund Đà Nẵng", "lodz oresund da nang"),
    ("Co-op", "co-op"),  # search keeps punctuation: the database folds only case and accents
])
def test_fold_is_the_search_form(text, folded):
    assert fold(text) == folded
