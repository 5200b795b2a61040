"""Quote verification (Khan et al. 2024, Sec. 2): debaters cite the hidden passage in `<quote>` tags; each quote is
checked against the passage by exact match after normalisation and shown to the judge as verified or unverified.

Normalisation (applied to both the quote and the passage): Unicode NFKC; curly quotes, primes and dashes folded to
ASCII; lower case; every run of punctuation and white space collapsed to one space; trimmed. A quote is verified
when its normalised text is non-empty and is a substring of the normalised passage. So "Don't  stop—now!" matches
"don’t stop - now", but a quote with one changed, added or dropped word does not. Quotes are rewritten for the
judge as `<v_quote>...</v_quote>` (verified) or `<u_quote>...</u_quote>` (unverified), the tags of Khan et al.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

QUOTE = re.compile(r"<quote>(.*?)</quote>", re.IGNORECASE | re.DOTALL)
_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                       "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
                       "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
                       "\u2212": "-"})
_SEP = re.compile(r"[\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """Text reduced to lower-case words separated by single spaces (see module docstring)."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).lower()
    return _SEP.sub(" ", text).strip()


@dataclass(frozen=True)
class Quote:
    text: str
    """The quote as the debater wrote it."""
    verified: bool
    """Found verbatim (after normalisation) in the passage."""


class QuoteChecker:
    """Checks quotes against one passage (normalised once)."""

    def __init__(self, passage: str):
        self._norm = f" {normalize(passage)} "

    def verify(self, quote: str) -> bool:
        q = normalize(quote)
        # padded with spaces so that a quote matches whole words only ("he" is not verified by "the")
        return bool(q) and f" {q} " in self._norm

    def quotes(self, text: str) -> list[Quote]:
        """Every `<quote>` of `text`, checked."""
        return [Quote(q, self.verify(q)) for q in QUOTE.findall(text)]

    def mark(self, text: str) -> str:
        """`text` with each `<quote>x</quote>` rewritten to `<v_quote>x</v_quote>` or `<u_quote>x</u_quote>`."""
        return QUOTE.sub(lambda m: (f"<v_quote>{m.group(1)}</v_quote>" if self.verify(m.group(1))
                                    else f"<u_quote>{m.group(1)}</u_quote>"), text)


def verify_quotes(text: str, passage: str) -> list[Quote]:
    """The quotes of `text`, each checked against `passage`."""
    return QuoteChecker(passage).quotes(text)
