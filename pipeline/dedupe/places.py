"""Places and peoples: names that say *where*, not *what happened*.

Two articles both naming "China" or "Hong Kong" are not thereby about one event, so
these names count less in story similarity and never as one of the shared rare names.
Folded (lower case, hyphens as spaces). Countries, their peoples, continents and regions,
US states and the cities that most often head datelines.
"""

from __future__ import annotations

_TEXT = """
afghanistan afghan albania algeria algerian andorra angola argentina argentine argentinian armenia armenian
australia australian austria austrian azerbaijan bahamas bahrain bangladesh belarus belarusian belgium
belgian belize benin bhutan bolivia bosnia botswana brazil brazilian brunei bulgaria bulgarian burkina faso
burundi cambodia cameroon canada canadian chad chile chilean china chinese colombia colombian congo costa
rica croatia cuba cuban cyprus czech czechia denmark danish djibouti dominican republic ecuador egypt
egyptian el salvador eritrea estonia eswatini ethiopia ethiopian fiji finland finnish france french gabon
gambia georgia georgian germany german ghana greece greek guatemala guinea guyana haiti honduras hungary
hungarian iceland india indian indonesia indonesian iran iranian iraq iraqi ireland irish israel israeli
italy italian ivory coast jamaica japan japanese jordan kazakhstan kenya kenyan korea korean north korea
north korean south korea south korean dprk kosovo kuwait kyrgyzstan laos latvia lebanon lebanese lesotho
liberia libya libyan liechtenstein lithuania luxembourg madagascar malawi malaysia maldives mali malta
mauritania mauritius mexico mexican moldova monaco mongolia montenegro morocco moroccan mozambique myanmar
namibia nepal netherlands dutch new zealand nicaragua niger nigeria nigerian norway norwegian oman pakistan
pakistani palestine palestinian palestinians panama papua paraguay peru philippines filipino poland polish
portugal portuguese qatar romania romanian russia russian russians rwanda saudi arabia saudi senegal serbia
serbian sierra leone singapore slovakia slovenia somalia south africa south african spain spanish sri lanka
sudan suriname sweden swedish switzerland swiss syria syrian taiwan taiwanese tajikistan tanzania thailand
thai togo tunisia turkey turkish turkmenistan uganda ukraine ukrainian ukrainians united arab emirates uae
united kingdom uk britain british great britain england english scotland scottish wales welsh united states
united states of america us usa u.s america american americans uruguay uzbekistan venezuela vietnam
vietnamese yemen zambia zimbabwe europe european eu european union asia asian africa african north america
south america latin america middle east east west western eastern northern southern arctic antarctica
pacific atlantic gulf caribbean balkans scandinavia eurasia
alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii idaho illinois
indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri
montana nebraska nevada new hampshire new jersey new mexico new york north carolina north dakota ohio
oklahoma oregon pennsylvania rhode island south carolina south dakota tennessee texas utah vermont virginia
washington west virginia wisconsin wyoming
london paris berlin moscow beijing tokyo seoul pyongyang washington dc new delhi delhi mumbai karachi
islamabad kabul tehran baghdad damascus beirut jerusalem tel aviv cairo riyadh dubai abu dhabi doha ankara
istanbul athens rome madrid lisbon brussels amsterdam vienna warsaw prague budapest kyiv kiev minsk
stockholm oslo copenhagen helsinki dublin geneva zurich ottawa toronto montreal vancouver sydney melbourne
canberra wellington jakarta manila bangkok hanoi singapore kuala lumpur taipei hong kong shanghai
nairobi lagos abuja johannesburg cape town addis ababa brasilia sao paulo rio de janeiro buenos aires
santiago lima bogota caracas havana mexico city los angeles chicago houston san francisco boston miami
seattle atlanta dallas detroit philadelphia
"""

# Multi-word entries are written with single spaces; single words are every token.
_MULTI = {
    "burkina faso", "costa rica", "dominican republic", "el salvador", "ivory coast", "north korea",
    "north korean", "south korea", "south korean", "new zealand", "saudi arabia", "sierra leone",
    "south africa", "south african", "sri lanka", "united arab emirates", "united kingdom", "great britain",
    "united states", "united states of america", "european union", "north america", "south america",
    "latin america", "middle east", "new hampshire", "new jersey", "new mexico", "new york",
    "north carolina", "north dakota", "rhode island", "south carolina", "south dakota", "west virginia",
    "washington dc", "new delhi", "abu dhabi", "tel aviv", "kuala lumpur", "hong kong", "cape town",
    "addis ababa", "sao paulo", "rio de janeiro", "buenos aires", "mexico city", "los angeles",
    "san francisco", "papua new guinea",
}  # fmt: skip

PLACES: frozenset[str] = (
    frozenset(_TEXT.split()) | frozenset(_MULTI) | {part for name in _MULTI for part in name.split()[-1:]}
)


def is_place(name: str) -> bool:
    """Whether a folded name is a country, people, region, US state or major city."""
    return name in PLACES
