"""The IP-risk screen: which protected terms (brands, characters, famous people) a text names.

Shops are suspended for listings that name a trademark, so the screen is built to see through the
usual disguises (`M1ckey`, `m i c k e y`, `Mïckey`, `Mickey` with a Cyrillic M) while staying on word
boundaries, so ordinary words are never flagged: both the terms and the text are reduced to a
*skeleton* (NFKD without accents, case-folded, look-alikes and leet digits mapped to one letter),
then compared word by word. "disney" does not match "disneyland" (a compound is its own term), a
trailing plural `s` is allowed ("legos", "mickey's"), and a term is also found written as one word
("spiderman") or spelled out in single letters ("d.i.s.n.e.y"). Generic words that are also brands
are kept out of the shipped list instead (see the header of `protected_terms.txt`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_TERMS_FILE = Path(__file__).with_name("protected_terms.txt")
MAX_TERM_LENGTH = 100

# Cyrillic, Greek and a few Latin letters that look like plain Latin ones (lower case: the text is
# case-folded first), written as escapes because they are indistinguishable in the source.
_LOOK_ALIKES = (
    "\u0430\u0432\u0435\u0451\u043a\u043c\u043d\u043e"
    "\u0440\u0441\u0442\u0443\u0445\u0456\u0457\u0458"
    "\u0455\u0501\u04cf\u04bb\u051b\u051d\u03b1\u03b2"
    "\u03b5\u03b7\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4"
    "\u03c5\u03c7\u03c9\u03f2\u0131\u0142\u00f8\u0111"
)
_PLAIN = "abeekmhopctyxiijsdlhqwabenikvoptuxwcilod"
CONFUSABLES = str.maketrans(
    {**dict(zip(_LOOK_ALIKES, _PLAIN, strict=True)), "\u00df": "ss", "\u00e6": "ae", "\u0153": "oe"}
)
# Leet digits, and the letters they stand for that read alike (l and i both become i, so "1" can
# stand for either).
LEET = str.maketrans({"0": "o", "1": "i", "l": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                      "8": "b", "9": "g", "2": "z", "6": "g"})  # fmt: skip
_SYMBOLS = re.compile(r"(?<=[^\W_])[@$](?=[^\W_])")
_APOSTROPHES = re.compile("['`\u2019\u02bc\u00b4]")
_WORD = re.compile(r"[^\W_]+")


def _skeleton_word(word: str) -> str:
    """One word's comparable form; a number alone ("1980") stays a number, not "ibgo"."""
    if word.isdigit() and len(word) > 1:
        return word
    return word.translate(LEET)


def words(text: str) -> list[str]:
    """The text's words as skeletons: accents, case, look-alikes and leet digits folded away."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).translate(CONFUSABLES)
    folded = _SYMBOLS.sub(lambda m: "a" if m.group() == "@" else "s", folded)
    folded = _APOSTROPHES.sub("", folded)
    return [_skeleton_word(word) for word in _WORD.findall(folded)]


class TermsFileError(ValueError):
    """A terms file that cannot be used; the message names the file and line."""


def parse_terms(text: str, source: str) -> list[str]:
    """Terms from a file's text: one a line, `#` comments and blank lines ignored."""
    terms = []
    for number, line in enumerate(text.splitlines(), start=1):
        term = line.split("#", 1)[0].strip()
        if not term:
            continue
        if any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in term):
            raise TermsFileError(f"{source}, line {number}: control characters in {term!r}")
        if len(term) > MAX_TERM_LENGTH:
            raise TermsFileError(f"{source}, line {number}: longer than {MAX_TERM_LENGTH}")
        if len("".join(words(term))) < 2:
            raise TermsFileError(f"{source}, line {number}: {term!r} has no letters to match")
        terms.append(term)
    return terms


def read_terms_file(path: Path) -> list[str]:
    """A terms file's terms, or TermsFileError saying why the file cannot be used."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise TermsFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise TermsFileError(f"{path}: not UTF-8 text") from None
    return parse_terms(text, str(path))


@dataclass(frozen=True)
class _Term:
    name: str
    words: tuple[str, ...]


class Screen:
    """Finds the protected terms a text names (see the module docstring for how)."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._by_first: dict[str, list[_Term]] = {}
        self._joined: dict[str, str] = {}
        for name in terms:
            term = _Term(name.strip().lower(), tuple(words(name)))
            self._by_first.setdefault(term.words[0], []).append(term)
            self._joined.setdefault("".join(term.words), term.name)
        self.size = len(self._joined)

    def _lookup_joined(self, joined: str) -> str | None:
        name = self._joined.get(joined)
        if name is None and joined.endswith("s"):
            name = self._joined.get(joined[:-1])
        return name

    def find(self, *texts: str | None) -> list[str]:
        """The terms named in any of `texts`, sorted, each once."""
        found: set[str] = set()
        for text in texts:
            if text:
                found.update(self._find_in(words(text)))
        return sorted(found)

    def _find_in(self, text: list[str]) -> set[str]:
        found = set()
        for start, word in enumerate(text):
            if (name := self._lookup_joined(word)) is not None:
                found.add(name)
            for term in self._by_first.get(word, ()):
                end = start + len(term.words)
                window = text[start:end]
                if len(window) == len(term.words) and (
                    window[:-1] == list(term.words[:-1])
                    and window[-1] in (term.words[-1], term.words[-1] + "s")
                ):
                    found.add(term.name)
        found.update(self._spelled_out(text))
        return found

    def _spelled_out(self, text: list[str]) -> set[str]:
        """Terms spelled in single letters ("m i c k e y", "d.i.s.n.e.y"), runs of 3 or more."""
        found = set()
        run: list[str] = []
        for word in [*text, ""]:
            if len(word) == 1:
                run.append(word)
                continue
            for start in range(len(run)):
                for end in range(start + 3, len(run) + 1):
                    if (name := self._lookup_joined("".join(run[start:end]))) is not None:
                        found.add(name)
            run = []
        return found


@lru_cache(maxsize=8)
def screen_for(extra_terms_file: Path | None) -> Screen:
    """The shipped terms plus those of `extra_terms_file`, built once per file."""
    terms = read_terms_file(DEFAULT_TERMS_FILE)
    if extra_terms_file is not None:
        terms += read_terms_file(extra_terms_file)
    return Screen(terms)


def ip_risk(screen: Screen, *texts: str | None) -> dict[str, list[str]] | None:
    """An image's `risk` value: `{"ip": [terms]}`, or None when nothing is named."""
    terms = screen.find(*texts)
    return {"ip": terms} if terms else None
