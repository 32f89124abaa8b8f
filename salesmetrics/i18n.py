"""Words people read, per language: one catalogue per language in ``salesmetrics/locales/<lang>.json``.

Every string the deck, the charts and the findings show comes from here, so a Korean deck is the same
deck with another catalogue. A test checks that every catalogue has the same keys and placeholders.

Placeholders
------------
``{name}`` is replaced by the value given for ``name`` (as in :meth:`str.format`, so ``{n:,}`` works).
A placeholder may also carry *filters* after ``|``, applied left to right to the value as text (no format
spec then); they let one language say what another does not need to:

``{amount|로}`` — a Korean particle (조사) after the value, in the form its last pronounced syllable takes
    (:func:`particle`): ``"₩1.4억으로"``, ``"$61.4k로"``, ``"1로"``. Either form names its pair: 이/가,
    은/는, 을/를, 과/와, 으로/로, 이나/나, 이라/라, 이며/며, 아/야, 이랑/랑 (``{x|을}`` is ``{x|를}``);
    ``{x|을/를}`` is accepted too. Write the particle this way after anything that is not fixed text (a
    number, an amount, a name from the data), never as ``을(를)``.
``{team|+팀}`` — the word after ``+`` appended unless the value already ends with it (:func:`with_suffix`):
    "SDR" → "SDR팀", "SDR팀" stays "SDR팀"; ``{name|+ 세그먼트}`` appends it after a space.
``{org|@org}`` — the value looked up in the same catalogue as the key ``org.<value>``; a value the
    catalogue does not know is shown as it is.

Filters chain: ``{team|+팀|이}`` gives "SDR팀이". A test checks that every language uses the same
placeholder names, whatever their filters.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

__all__ = ["LANGUAGES", "catalogue", "final_sound", "particle", "text", "with_particle", "with_suffix"]

LANGUAGES = ("en", "ko")


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """The catalogue of ``lang`` ("en" or "ko").

    Parameters
    ----------
    lang : {"en", "ko"}
        The language.

    Returns
    -------
    dict
        Key → template.

    Examples
    --------
    >>> catalogue("ko")["kpi.win_rate"]
    '거래 성사율'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}.")
    with resources.files("salesmetrics").joinpath("locales", f"{lang}.json").open(encoding="utf-8") as f:
        return dict(json.load(f))


_FILTERED = re.compile(r"\{(\w+)((?:\|[^{}|]+)+)\}")
"""A placeholder with filters: ``{name|filter|filter}``."""


def text(key: str, lang: str = "en", /, **params: Any) -> str:
    """The string ``key`` in ``lang``, with ``{placeholders}`` filled from ``params`` (filters: see the module).

    Parameters
    ----------
    key : str
        The catalogue key ("deck.title").
    lang : {"en", "ko"}, default "en"
        The language.
    **params
        The placeholders' values.

    Returns
    -------
    str
        The filled-in string.

    Examples
    --------
    >>> text("deck.title", "en", quarter="2025Q3"), text("deck.title", "ko", quarter="2025Q3")
    ('Quarterly sales review, 2025Q3', '분기 영업 리뷰, 2025Q3')
    """
    template = catalogue(lang).get(key)
    if template is None:
        raise KeyError(f"no string {key!r} in the {lang!r} catalogue (salesmetrics/locales/{lang}.json).")
    if not params:
        return template
    if "|" in template:
        filtered: dict[str, str] = {}

        def fill(match: re.Match[str]) -> str:
            name, filters = match.group(1), match.group(2)
            if name not in params:
                raise KeyError(name)
            slot = f"_filtered_{len(filtered)}"
            filtered[slot] = _apply(str(params[name]), filters.split("|")[1:], lang)
            return "{" + slot + "}"  # filled by format() below, so a value's own braces are never read as placeholders

        template = _FILTERED.sub(fill, template)
        params = {**params, **filtered}
    return template.format(**params)


def _apply(value: str, filters: list[str], lang: str) -> str:
    for f in filters:
        if f.startswith("+"):
            value = with_suffix(value, f[1:])
        elif f.startswith("@"):
            value = catalogue(lang).get(f"{f[1:]}.{value}", value)
        else:
            value = with_particle(value, f)
    return value


# ----------------------------------------------------------------------------------------------------------
# Korean particles (조사): the form depends on whether the last pronounced syllable ends in a consonant
# ----------------------------------------------------------------------------------------------------------

_JONG = ("", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ", "ㅀ", "ㅁ", "ㅂ", "ㅄ", "ㅅ",
         "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ")
"""The final consonants (종성) in Unicode order: syllable = 0xAC00 + (initial × 21 + vowel) × 28 + final."""
_DIGITS = ("ㅇ", "ㄹ", "", "ㅁ", "", "", "ㄱ", "ㄹ", "ㄹ", "")
"""The final consonant of each digit read in Sino-Korean: 영 일 이 삼 사 오 육 칠 팔 구."""
_POWERS = ("", "ㅂ", "ㄱ", "ㄴ")
"""A whole number ending in 0, 1, 2 or 3 zeros ends in the digit, 십, 백 or 천."""
_MYRIADS = ("ㄴ", "ㄱ", "ㄴ", "ㅇ")
"""... and in 4–7, 8–11, 12–15 or 16+ zeros: 만, 억, 조, 경 (10만, 100만 and 1000만 end in 만 too)."""
_LETTERS = {"L": "ㄹ", "M": "ㅁ", "N": "ㄴ", "R": "ㄹ"}
"""Latin letters read by name (에이, 비, 씨, ... 엘, 엠, 엔, 알): only these four end in a consonant."""
_SYMBOLS = {"%": "", "‰": "ㄹ", "+": "", "₩": "ㄴ", "$": "ㄹ", "€": "", "£": "", "¥": "ㄴ", "°": "", "℃": ""}
"""Symbols read aloud: 퍼센트, 퍼밀, 플러스, 원, 달러, 유로, 파운드, 엔, 도."""
_SILENT = " \t\n.,;:!?…·'\"’”»」』]}>"
"""Trailing characters that are not read (closing quotes and brackets, punctuation)."""
_NUMBER = re.compile(r"[0-9][0-9,]*(?:\.[0-9]+)?$")
_WORD = re.compile(r"[A-Za-z]+$")


def final_sound(word: Any) -> str | None:
    """The final consonant of the last syllable ``word`` is read with: "" for none, a jamo such as "ㄹ", None when unknown.

    Hangul gives it by its Unicode decomposition. Anything else is read as Korean reads it: numbers in
    Sino-Korean by their last pronounced unit (1 일, 2 이, 3 삼, 6 육, 0 영; 10 십, 100 백, 1,000 천,
    10,000 만, 10⁸ 억; decimals digit by digit, 4.06 … 육), "%" 퍼센트, "₩" 원, "$" 달러; Latin letters
    alone or in capitals by their names (M 엠, k 케이, SDR … 알, CSAT … 티), Latin words by the
    loanword ending (…ng ㅇ, …m(e) ㅁ, …n(e) ㄴ, …l(e) ㄹ, …ck and a short vowel's p, t, k: market 마켓, closed_at … 앳;
    a rule of thumb, right for the names and columns this library writes).
    A closing bracket's content is not read ("3.12(5점 만점)" ends in 이), nor are closing punctuation
    and quotes. None for an empty text or a character with no reading here (a Chinese character, an emoji).

    Parameters
    ----------
    word : object
        A word, a number or an amount as shown (``str(word)`` is read).

    Returns
    -------
    str or None
        The final consonant's jamo, "" for none, or None when unknown.

    Examples
    --------
    >>> final_sound("억"), final_sound("₩1.4억"), final_sound("$61.4k"), final_sound("10"), final_sound("3.12(5점 만점)")
    ('ㄱ', 'ㄱ', '', 'ㅂ', '')
    """
    s = str(word).rstrip(_SILENT)
    while s.endswith(")"):  # a parenthesis is not read: the particle follows the word before it
        depth, i = 0, len(s) - 1
        while i >= 0:
            depth += {")": 1, "(": -1}.get(s[i], 0)
            if depth == 0:
                break
            i -= 1
        if i <= 0:  # unbalanced, or all of it in brackets: read what is inside
            s = s.strip("()")
            break
        s = s[:i].rstrip(_SILENT)
    if not s:
        return None
    last = s[-1]
    if "가" <= last <= "힣":
        return _JONG[(ord(last) - 0xAC00) % 28]
    if last.isascii() and last.isdigit():
        number = _NUMBER.search(s)
        assert number is not None
        digits = number.group().replace(",", "")
        if "." in digits:  # decimals are read digit by digit
            return _DIGITS[int(digits[-1])]
        whole = digits.lstrip("0")
        if not whole:
            return _DIGITS[0]
        zeros = len(whole) - len(whole.rstrip("0"))
        if zeros == 0:
            return _DIGITS[int(whole[-1])]
        return _POWERS[zeros] if zeros < 4 else _MYRIADS[min((zeros - 4) // 4, 3)]
    if last.isascii() and last.isalpha():
        letters = _WORD.search(s)
        assert letters is not None
        w = letters.group()
        if len(w) == 1 or w.isupper():
            return _LETTERS.get(w[-1].upper(), "")
        return _english_ending(w.lower())
    return _SYMBOLS.get(last)


def _english_ending(w: str) -> str:
    """The final consonant of an English word written in Hangul (a rule of thumb of loanword spelling)."""
    vowels = "aeiou"
    if w.endswith("ng"):
        return "ㅇ"
    if w.endswith("ck"):
        return "ㄱ"
    if w.endswith(("le", "l")):
        return "ㄹ"
    if len(w) >= 3 and w[-1] == "e" and w[-2] in "mn" and w[-3] in vowels:  # a silent e: 타임, 라인
        w = w[:-1]
    if w[-1] in "mn":
        return {"m": "ㅁ", "n": "ㄴ"}[w[-1]]
    if w[-1] in "ptk" and w[-2] in vowels and (len(w) == 2 or w[-3] not in vowels):  # a short vowel: 마켓, 톱, 앳
        return {"p": "ㅂ", "t": "ㅅ", "k": "ㄱ"}[w[-1]]
    return ""


_PAIRS = (("이", "가"), ("은", "는"), ("을", "를"), ("과", "와"), ("으로", "로"), ("이나", "나"), ("이라", "라"), ("이며", "며"),
          ("아", "야"), ("이랑", "랑"))
"""Particles with two forms: (after a final consonant, after a vowel)."""
_FORMS = {form: pair for pair in _PAIRS for form in pair}


def _pair(name: str) -> tuple[str, str]:
    forms = [f for f in name.split("/") if f]
    for form in forms:
        if form in _FORMS:
            return _FORMS[form]
    raise ValueError(f"unknown particle {name!r}; use one of {', '.join('/'.join(p) for p in _PAIRS)}.")


def particle(word: Any, name: str) -> str:
    """The form of the particle ``name`` that follows ``word``: 이/가, 은/는, 을/를, 과/와, 으로/로, ...

    The form after a final consonant (이, 은, 을, 과, 으로) or after a vowel (가, 는, 를, 와, 로) by
    :func:`final_sound`; 으로/로 takes 로 after ㄹ as well (1로, 서울로). When the reading is unknown both
    forms are written, as Korean does: "이(가)", "(으)로".

    Parameters
    ----------
    word : object
        What the particle follows (a word, a number, an amount as shown).
    name : str
        Either form of the particle ("로", "으로", "이/가", ...).

    Returns
    -------
    str
        The particle alone.

    Examples
    --------
    >>> particle("₩1.4억", "로"), particle("$61.4k", "로"), particle("1", "으로"), particle("SDR팀", "이"), particle("3%", "은")
    ('으로', '로', '로', '이', '는')
    """
    after_consonant, after_vowel = _pair(name)
    final = final_sound(word)
    if final is None:
        short = after_consonant.endswith(after_vowel) and len(after_consonant) > len(after_vowel)
        return (f"({after_consonant[: -len(after_vowel)]}){after_vowel}" if short else f"{after_consonant}({after_vowel})")
    if after_vowel == "로" and final == "ㄹ":
        return after_vowel
    return after_consonant if final else after_vowel


def with_particle(word: Any, name: str) -> str:
    """``word`` followed by the right form of the particle ``name`` (:func:`particle`).

    Parameters
    ----------
    word : object
        What the particle follows.
    name : str
        Either form of the particle.

    Returns
    -------
    str
        ``str(word)`` and the particle.

    Examples
    --------
    >>> with_particle("₩1.4억", "로"), with_particle("매출 감소", "을"), with_particle("MQL", "가")
    ('₩1.4억으로', '매출 감소를', 'MQL이')
    """
    return f"{word}{particle(word, name)}"


def with_suffix(name: Any, suffix: str) -> str:
    """``name`` with ``suffix`` appended, unless it already ends with that word: no "SDR팀 팀".

    Parameters
    ----------
    name : object
        A name, usually from the data.
    suffix : str
        The word to append, with the space before it if one is wanted (" 세그먼트").

    Returns
    -------
    str
        The name, with the word once.

    Examples
    --------
    >>> with_suffix("SDR", "팀"), with_suffix("SDR팀", "팀"), with_suffix("중견기업", " 세그먼트")
    ('SDR팀', 'SDR팀', '중견기업 세그먼트')
    """
    shown, word = str(name), suffix.strip()
    return shown if not word or shown.rstrip().endswith(word) else shown + suffix
