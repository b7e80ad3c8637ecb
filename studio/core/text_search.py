"""Text normalization shared by the catalog index and the search box.

SQLite 3.40 (what Python ships here) has no trigram `remove_diacritics`, so the catalog indexes
text that is already normalized and normalizes each query the same way:

* casefold (`Straße` → `strasse`), NFKD, drop Latin/Greek/Cyrillic/Hebrew/Arabic diacritics
  (`Été` → `ete`), then NFC again so Japanese voiced kana keep their mark (`グ` stays `グ`, not
  `ク`) and a few letters NFKD does not split are mapped (`ø` → `o`, `æ` → `ae`).
* CJK, kana, Hangul and Thai have no spaces between words, so each such character becomes a
  token of its own. A query like `マグ` then becomes the phrase `"マ グ"`, which matches the
  adjacent characters inside `陶 器 マ グ カ ッ プ`: substring search without a trigram index.

`fts_query` turns arbitrary user input into a safe FTS5 expression: only word tokens survive,
each is quoted, and every term is a prefix so results appear while the user types. Quotes,
`*`, `AND`, `-`, `NEAR(` in the input are plain text, never syntax.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that form a token each (no word spaces in these scripts).
_SEGMENTED = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3005-\u3007"  # 々 〆 〇
    "\u3021-\u3029\u3031-\u3035\u303b\u303c"
    "\u3040-\u30ff"  # Hiragana, Katakana (incl. ー)
    "\u3100-\u312f\u3130-\u318f\u31a0-\u31bf\u31f0-\u31ff"  # Bopomofo, Hangul compat, Katakana ext
    "\u3400-\u4dbf\u4e00-\u9fff"  # CJK unified ideographs (+ ext A)
    "\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"  # Hangul
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana (NFKD widens them first anyway)
    "\U00020000-\U0003134f"  # CJK ext B..G
)
_SEGMENTED_RE = re.compile(f"([{_SEGMENTED}])")
_HAS_SEGMENTED_RE = re.compile(f"[{_SEGMENTED}]")

# Diacritics to drop after NFKD. Kana voicing marks (U+3099/309A) are deliberately not here.
_DIACRITICS_RE = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u064b-\u065f\u0670\u1ab0-\u1aff\u1dc0-\u1dff"
    "\u20d0-\u20ff\ufe20-\ufe2f]"
)
_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h", "ŧ": "t"}
)

# A word token as FTS5's unicode61 sees it (letters, digits; `_` and punctuation separate).
_WORD_RE = re.compile(r"[^\W_]+")

MAX_QUERY_TERMS = 12
MAX_TERM_CHARS = 64


def fold(text: str) -> str:
    """Casefold and strip accents, keeping the text's spacing (no CJK segmentation)."""
    if text.isascii():
        return text.lower()
    text = _DIACRITICS_RE.sub("", unicodedata.normalize("NFKD", text.casefold())).translate(_LETTERS)
    if text.isascii():  # the usual case for accented Latin text: nothing left to recompose
        return text
    return unicodedata.normalize("NFC", text)


def index_text(text: str) -> str:
    """What goes into the FTS index for `text`: folded, CJK characters space-separated."""
    if text.isascii():
        return text.lower()
    folded = fold(text)
    if not folded.isascii() and _HAS_SEGMENTED_RE.search(folded):
        folded = _SEGMENTED_RE.sub(r" \1 ", folded)
    return folded


def query_terms(text: str) -> list[list[str]]:
    """Split user input into terms; a term is a list of tokens that must be adjacent (a phrase).

    `chemise ete` → `[["chemise"], ["ete"]]`; `陶器マグ` → `[["陶", "器", "マ", "グ"]]`;
    `LIN-SH` → `[["lin"], ["sh"]]`.
    """
    terms: list[list[str]] = []
    for word in _WORD_RE.findall(fold(text or "")):
        word = word[:MAX_TERM_CHARS]
        if _HAS_SEGMENTED_RE.search(word):
            tokens = _SEGMENTED_RE.sub(r" \1 ", word).split()
        else:
            tokens = [word]
        terms.append(tokens)
        if len(terms) >= MAX_QUERY_TERMS:
            break
    return terms


def fts_query(text: str, *, prefix: bool = True) -> str | None:
    """A safe FTS5 MATCH expression for user input, or None when nothing searchable remains.

    Every term is a quoted phrase; with `prefix` each gets a trailing `*`, so every word matches
    as a prefix (the user may still be typing any of them). Terms are ANDed. Tokens contain only
    letters and digits, so the quotes can never be unbalanced.
    """
    terms = query_terms(text)
    if not terms:
        return None
    star = "*" if prefix else ""
    return " ".join('"' + " ".join(tokens) + '"' + star for tokens in terms)
