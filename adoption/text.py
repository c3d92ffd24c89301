"""Text normalisation, in one place: how a name displays, how search compares it, what makes two names one.

- `visible_name`: a name as stored and shown, without the invisible characters that could spoof another.
- `fold`: the search form (lower case, Latin accents dropped), the same the database computes in
  `adoption.search.Folded`, so a substring found in Python is found in SQL.
- `name_words` / `name_key`: the identity of a name: case, accents, spacing and punctuation do not count
  ('Kigali  Speech Co-op' and 'kigali spéech coop' are one organization).
"""

import unicodedata

# Characters that change how a name displays without being part of it: C0/C1 controls, bidirectional
# embeddings, overrides and isolates, zero-width space and word joiner, the byte-order mark. (The zero-width
# joiner and non-joiner stay: some scripts need them.)
_INVISIBLE = dict.fromkeys(
    [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200B, 0x200E, 0x200F, *range(0x202A, 0x202F),
     0x2060, *range(0x2066, 0x206A), 0xFEFF]
)


def visible_name(text: str) -> str:
    """A name as people see it: 'Evil\u202eoc.labs\u200b' -> 'Eviloc.labs', so no name can spoof another's
    display; runs of spaces collapse to one."""
    return " ".join((text or "").translate(_INVISIBLE).split())


def _fold_table() -> dict[str, str]:
    """Accented Latin letters (either case) to their plain lower-case letter: 'É' -> 'e', 'ø' -> 'o'."""
    table = {"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ı": "i", "ħ": "h", "Ħ": "h"}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        char = chr(code)
        base = unicodedata.normalize("NFKD", char)
        letter, marks = base[0], base[1:]
        if marks and letter.isascii() and letter.isalpha() and all(unicodedata.combining(c) for c in marks):
            table[char] = letter.lower()
    return table


FOLD = _fold_table()
_TRANSLATE = str.maketrans(FOLD)


def fold(text: str) -> str:
    """The search form of a text, as the database computes it: lower case, accents dropped, no NUL."""
    return " ".join((text or "").replace("\x00", "").lower().translate(_TRANSLATE).split())


def name_words(text: str) -> list[str]:
    """'The AI-Singapore, Ltd.' -> ['the', 'ai', 'singapore', 'ltd']: the words of a name in lower case,
    accents dropped; punctuation, spacing and invisible characters only separate words."""
    decomposed = unicodedata.normalize("NFKD", text or "").casefold()
    return "".join(
        "" if unicodedata.combining(ch) else ch if ch.isalnum() else " " for ch in decomposed
    ).split()


def name_key(text: str) -> str:
    """'Kigali  Speech Co-op', 'kigali speech coop' and 'Kigali Spéech Co-op' -> 'kigalispeechcoop': case,
    accents, spacing and punctuation do not make a different organization. (Stored in
    Organization.name_keys; migration 0010 keeps its own copy of this function.)"""
    return "".join(name_words(text))
