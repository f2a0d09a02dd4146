"""The parser's vocabulary: extensions and precompiled regexes, compiled once at import.

Episode markers are named groups ``season``, ``episode`` and ``more`` (further
numbers: ``E02``, ``-03``, ``~12``). Names reach these patterns with ``_``
already turned into spaces.
"""

from __future__ import annotations

import re

VIDEO_EXTENSIONS = frozenset(
    "3gp asf avi divx flv iso m2ts m4v mkv mov mp4 mpeg mpg mts ogm ogv rm rmvb ts vob webm wmv"
    .split()
)
SIDECAR_EXTENSIONS = frozenset("ass idx smi srt ssa sub sup vtt".split())
NON_MEDIA_EXTENSIONS = frozenset(
    "!qb 7z bak db exe gif htm html ini jpeg jpg log md5 nfo nzb par2 part png rar sfv "
    "tbn torrent txt url xml zip".split()
)
KNOWN_EXTENSIONS = VIDEO_EXTENSIONS | SIDECAR_EXTENSIONS | NON_MEDIA_EXTENSIONS

_I = re.IGNORECASE
_IX = re.IGNORECASE | re.VERBOSE
_YEAR = r"(?:19[2-9]|20[0-4])\d"
_SEASON_WORD = r"(?:seasons?|saison|temporada|temp|tem|staffel|stagione|seizoen|sezon|сезон)"
#: Season words that need their number after them (``Series 4``: a title may end in "Series").
_SEASON_WORD_BEFORE = rf"(?:{_SEASON_WORD}|series)"
_EPISODE_WORD = (
    r"(?:episodes?|episodio|episódio|épisode|episodul|epi|ep|cap|capitulo|capítulo|folge"
    r"|aflevering|odcinek|серия|серии)"
)
#: Episode words written after their number: ``7.Bolum`` (Turkish), ``5 серия``.
_EPISODE_WORD_AFTER = r"(?:bolum|bölüm|серия|серии|話|话|集|回)"
#: Roman numerals from 1 to 19, as in ``Saison VII``.
_ROMAN = r"(?:x?(?:ix|iv|v?i{1,3}|v)|x)"
#: Numbers written out, English and French, as in ``Season Two``, ``Saison sept``.
NUMBER_WORDS = dict(zip(
    "one two three four five six seven eight nine ten un deux trois quatre cinq".split()
    + "sept huit neuf dix".split(),
    [*range(1, 11), *range(1, 6), *range(7, 11)], strict=True))
_NUMBER_WORD = "(?:" + "|".join(NUMBER_WORDS) + ")"
#: Ordinal suffixes: ``2nd Season``, ``1ª Temporada``.
_ORDINAL = r"(?:st|nd|rd|th|ª|º)"
#: Words after which a title has ended: sources, codecs, languages.
_RELEASE_WORD = (
    r"(?:\d{3,4}p|hdtv|pdtv|sdtv|dsr|ws|web|webrip|web-dl|xvid|x264|h264|dvdrip|bdrip|bluray"
    r"|vostfr|french|german|spanish|italian|multi|subbed|dubbed)"
)
_SPECIAL_WORDS = r"(?:ova|oad|ona|ovd|sp|specials?|(?:nc)?op|(?:nc)?ed|creditless|omake)"

#: A folder separator: ``/`` or ``\\`` not written between spaces (``Title A / Title B``).
PATH_SEPARATOR = re.compile(r"(?<! )[/\\](?! )(?![^\[\]/\\]*+\])")

# -- the parts around the body --------------------------------------------------
EXTENSION = re.compile(r"\.([a-z0-9!]{2,7})$", _I)
LANGUAGE_SUFFIX = re.compile(r"\.[a-z]{2,3}(?:[-_][a-z]{2})?(?:\.(?:forced|sdh|cc|default))*$", _I)
LEADING_TAG = re.compile(r"^\s*(?:\[([^\]]*)\]|【([^】]*)】|\(([^)]*)\))[\s_.\-]*")
CRC32 = re.compile(r"[\[(]([0-9a-f]{8})[\])]", _I)
WEBSITE = re.compile(r"^www\.|\.(?:com|org|net|nu|to|cc|io|info|tv|me|ru|se)$", _I)
LATIN = re.compile(r"[a-z]", _I)
NOT_GROUP = re.compile(r"(?:dl|rip|hd|sd|web|x26[45]|h26[45]|aac|ac3|e\d+|\d+p?)", _I)
RESOLUTION = re.compile(
    r"(?<![a-z0-9])(?:(\d{3,4})([pi])|(\d{3,4})\s?[x×*]\s?(\d{3,4})|(4k|uhd))(?![a-z0-9])", _I
)
YEAR = re.compile(rf"(?<![0-9a-z])({_YEAR})(?![0-9a-z])", _I)
PAREN_YEAR = re.compile(rf"[(\[]({_YEAR})[)\]]")
#: Words that end a title when no episode marker does: sources, codecs, flags.
TECH = re.compile(
    r"""(?<![a-z0-9])(?:\d{3,4}[pi]|\d{3,4}x\d{3,4}|4k|uhd|hdtv|pdtv|sdtv|hdtvrip|web|webrip
        |web-?dl|blu-?ray|bd|bdrip|brrip|bdremux|dvd|dvdrip|dvd5|dvd9|hdrip|x26[45]|h\.?26[45]
        |hevc|avc|xvid|divx|aac(?:2\.0)?|ac3|e-?ac3|flac|dts(?:-?hd)?|ddp?5\.1|truehd|atmos
        |(?:the[ .])?complete|proper|repack|internal|limited|multi|vostfr|subbed|dubbed
        |dual[ .\-]?audio
        |10-?bit|8-?bit|hi10p?|hdr|remux|amzn|nf|dsnp|hmax|atvp|ws|dsr|uncensored)(?![a-z0-9])""",
    _IX,
)

# -- episode markers, most trustworthy first ----------------------------------------
_MORE = r"(?P<more>(?:[-~&+]?(?:e|ep)?\d{1,4}(?![\dpi])|[. ](?:e|ep)\d{1,4}(?!\d))*)"
SXXEXX = re.compile(
    r"(?<![a-z0-9])s(?P<season>\d{1,4})[ .\-]{0,3}(?:e|ep|x)[ .]?(?P<episode>\d{1,5})(?!\d)"
    + _MORE,
    _I,
)
NXNN = re.compile(
    r"(?<![a-z0-9])(?P<season>\d{1,2}|(?:19|20)\d\d)(?:[x×]|\s[x×]\s)(?P<episode>\d{1,3})(?![\dpi])"
    r"(?P<more>(?:(?:-|x|-\d{1,2}x)\d{1,3}(?!\d))*)",
    _I,
)
#: More episodes written out in full: ``S01E02.S01E03``, ``1x02 - 1x03``, ``E02 & E03``.
REPEATED_EPISODE = re.compile(
    r"""[\s.\-&+]*(?:and[\s.]+)?
        (?:s(?P<season>\d{1,4})[ .]?(?:e|ep)|(?P<nseason>\d{1,2}|(?:19|20)\d\d)x|e|ep)
        [ .]?(?P<episode>\d{1,5})(?!\d)""",
    _IX,
)
DATE = re.compile(
    r"(?<![0-9])(?P<year>(?:19|20)\d\d)[.\-_ ](?P<month>0[1-9]|1[0-2])[.\-_ ]"
    r"(?P<day>0[1-9]|[12]\d|3[01])(?![0-9])"
)
OF = re.compile(
    r"(?<![a-z0-9])(?<!season[ .])(?<!seasons[ .])(?<!temporada[ .])(?<!saison[ .])"
    r"(?P<episode>\d{1,4})[\s.]?(?:of|de|von|van|din|из)[\s.]?\d{1,4}(?![0-9])",
    _I,
)
DASH = re.compile(
    r"""(?:[\s.][-–][\s.]*|(?<=[a-z!?\]\)])-)
        (?:(?:episode|ep)[ .]?)?\#?(?P<episode>\d{1,4})(?:v\d)?
        (?P<more>(?:[-+&]\d{1,4}(?:v\d)?|\s?~\s?\d{1,4}(?:v\d)?)?)
        (?=$|[\s\[(_,~\-]|\.(?!\d))""",
    _IX,
)
EPISODE_WORD = re.compile(
    rf"""(?<![a-z0-9])(?:{_EPISODE_WORD}[ .]{{0,2}}\(?|e|\#|第\s?)
        (?P<episode>\d{{1,4}})(?!\s?[季期部])(?:v\d)?
        (?P<more>(?:\s?[-~_]\s?(?:e|ep)?\d{{1,4}}(?!\d)|\s?(?:e|ep)\d{{1,4}}(?!\d))*)
        (?:\s?[話话集回])?
        (?![0-9a-z])""",
    _IX,
)
#: ``7.Bolum``, ``5 серия``: a number before its episode word.
EPISODE_AFTER = re.compile(
    rf"(?<![a-z0-9])(?P<episode>\d{{1,4}})[ .]?{_EPISODE_WORD_AFTER}(?![a-z])", _I
)
BRACKET_EPISODE = re.compile(
    r"[\[(【](?P<episode>\d{1,4})(?:v\d)?(?P<more>(?:\s?[-~]\s?\d{1,4})?)(?:\s?end|完)?[\])】]", _I
)
#: ``Show.103.HDTV``: old scene numbering, only when a source or codec follows.
COMPACT = re.compile(
    r"""(?<=[ .])(?<!s\d\d[ .])(?<!s\d[ .])(?P<season>\d{1,2})(?P<episode>\d\d)
        (?=[ .\-](?:\d{3,4}p|hdtv|pdtv|sdtv|dsr|ws|web|webrip|web-dl|xvid|[xh]\.?26[45]|dvdrip)
        (?![a-z0-9]))""",
    _IX,
)
#: ``FooBar.07.PDTV``, ``Show 445 VOSTFR``: a number right before the release words.
LONE = re.compile(
    rf"""(?<=[ .])(?<!\d\.)(?P<episode>\d{{1,4}})(?:v\d)?(?P<more>(?:-\d{{1,4}})?)
        (?=[ .\-]+{_RELEASE_WORD}(?![a-z0-9]))""",
    _IX,
)
#: ``01 - Ep Name``, ``003. Show Name``, ``[Grp] 06 Show``: the episode comes first.
LEADING_EPISODE = re.compile(
    r"(?P<episode>\d{1,4})(?:v\d)?(?P<more>(?:-\d{1,4})?)(?:\.?\s-\s|\.\s|\s|-(?=[a-z]))", _I
)
#: A lone number in a fansub name: ``[Grp] Show 214 [720p]``.
BARE = re.compile(
    r"(?<![\w'!&])(?<!\d\.)(?P<episode>\d{1,4})(?:v\d)?(?P<more>(?:\s?[-~]\s?\d{1,4})?)"
    r"(?![\w']|\.\d)",
    _I,
)
#: ``Marsh Lights 13-16``, ``Show 493-498 & 500-507``: a range of episodes before the tags.
RANGE = re.compile(
    r"(?<=[ .])(?P<episode>\d{1,4})(?P<more>-\d{1,4}(?:[ .]?&[ .]?\d{1,4}-\d{1,4})*)"
    r"(?=$|[ .\[(])"
)
#: A season word just before a number: ``Season 1-3`` is no range of episodes.
SEASON_WORD_END = re.compile(rf"{_SEASON_WORD_BEFORE}[ .\-]?$", _I)
#: ``Show.S03E21.22``: the next episode written after a dot.
DOTTED_NEXT = re.compile(r"\.(?P<episode>\d{2,3})(?![\dpi]|\.\d)", _I)
#: ``FooBar 360``, ``Title.2005.211.Episode``: season and episode run together, read only
#: when nothing else in the name gives a number (not 480/576/720, not episode 00).
COMPACT_BARE = re.compile(
    r"(?<=[ .])(?!480|576|720)(?P<season>[1-9])(?P<episode>\d[1-9]|[1-9]0)"
    r"(?=$|[ .\-]?[\[(]|[ .\-](?:[a-z]{2}|\d{3,4}[pi]))",
    _I,
)
#: ``...p0801.10E20S.emaN.wohS``: a name written backwards (an obfuscation), read reversed.
REVERSED = re.compile(r"(?<![a-z0-9])\d{2,4}e\d{1,2}s(?![a-z0-9])", _I)
#: ``Neverwhere.05.Down.Street``: a zero-padded number between title words.
PADDED = re.compile(r"(?<=[ .)\]])(?P<episode>0\d{1,2})(?P<more>)(?=[ .])")
#: ``[Cap.102_104]``, ``3x07_08``, ``S03E07_08``: a range joined by ``_``, read before
#: ``_`` becomes a space.
CAP_RANGE = re.compile(
    r"(?<![a-z0-9])(cap[ .]?\d{1,4}|(?:\d{1,2}x|s\d{1,2}e)\d\d(?=_\d\d(?![0-9a-z])))"
    r"_(\d{1,4})(?![0-9a-z])", _I)
#: ``www.Site.party - ``, ``{WWW.SITE.TV}``, ``Site.com - ``: a website before the name.
LEADING_WEBSITE = re.compile(
    r"^\s*[\[{(]?\s*(?:www\.[\w-]+(?:\.[\w-]+)+|[\w-]+\.(?:com|net|org|tv|to|cc|me|info"
    r"|party|art|xyz|ws|nu|se|io|ru))\s*[\]})]?\s*-?\s+",
    _I,
)
#: ``Simpsons, The``: an article written after the title.
TRAILING_ARTICLE = re.compile(r"^(?P<title>.+?),[\s.]*(?P<article>the|a|an)$", _I)
#: ``★10月新番★``: a decoration marked by stars (a title such as ``★Golden Time★`` is kept).
STARRED = re.compile(r"★[^★\[\]【】]*+★?")
#: What a fansub tag says beside the title: new this season, a language, a format.
NOT_TITLE_TAG = re.compile(r"新番|^[简繁簡體体中日英文字幕内內封外挂掛双雙语語版]+$")
#: The start of a tag that holds an episode number: ``[07]``, ``[Ep.24]``, ``(01-04)``.
NUMBER_TAG = re.compile(r"[\[【(]\s*(?:ep\.?\s?|第)?\d", _I)
#: A bracketed or parenthesized block (no nesting), removed to see the text outside tags.
TAG_BLOCK = re.compile(r"\[[^\[\]]*+\]|【[^【】]*+】|\([^()]*+\)")
SPECIAL = re.compile(
    rf"(?<![a-z0-9])(?:{_SPECIAL_WORDS}|extras?)(?:[ .\-]?(?P<episode>\d{{1,3}}))?(?![a-z0-9])",
    _I,
)
SPECIAL_WORD = re.compile(_SPECIAL_WORDS, _I)
MOVIE_WORD = re.compile(r"(?<![a-z0-9])(?:the\s)?movie(?![a-z0-9])", _I)
#: Numbers after the marker: ``-E03`` ``E02`` ``~12`` (ranges and lists).
MORE_NUMBERS = re.compile(r"([-~&+,]?)\s?(?:e|ep|x|\d{1,2}x)?(\d{1,4})", _I)

# -- season packs and seasons written beside the title -------------------------------
SEASON_ONLY = re.compile(
    rf"""(?<![a-z0-9])(?:
          (?:{_SEASON_WORD}[ .])?s(?P<s1>\d{{1,2}})(?:d\d{{1,2}}|extras)?
          (?P<more1>(?:\s?(?:-|to|&|\+|,)\s?s?\d{{1,2}}|[ .]s\d{{1,2}})*)
        | {_SEASON_WORD_BEFORE}[ .\-]?(?P<s2>\d{{1,2}})(?:\s?of\s?\d{{1,2}})?
          (?P<more2>(?:\s?(?:-|to|&|\+|,|\.(?!\d\d))\s?\d{{1,2}})*)
        | (?P<s3>\d{{1,2}}){_ORDINAL}?(?P<more3>\s(?:a|to|-)\s\d{{1,2}}{_ORDINAL}?)?
          [ .\-]{_SEASON_WORD}
        | 第\s?(?P<s4>\d{{1,2}})\s?季 | (?P<s5>\d{{1,2}})\s?期
        | (?P<s6>\d{{1,2}})x(?:all) | {_SEASON_WORD}[ .](?P<s7>{_ROMAN}|{_NUMBER_WORD})
        )(?![a-z0-9])""",
    _IX,
)
#: The other seasons of a multi-season pack: ``-S07``, `` to 5``, ``&3``, ``,2,3``, ``.3.4``.
MORE_SEASONS = re.compile(r"(-|to|a|&|\+|,|\.|\s)\s?s?(\d{1,2})", _I)
FOLLOWING_EPISODE = re.compile(
    r"[\s.\-]*(?:(?:episode|ep|e)[ .]?|(?!(?:480|576|720|1080|2160)(?!\d)))"
    r"(?P<episode>\d{1,4})(?:v\d)?(?![\w]|\.\d)",
    _I,
)

# -- what is cut from the end of a title --------------------------------------------
TITLE_SEASON = re.compile(
    rf"""(?:(?<![\s.(\-])[\s.(\-]++(?:
          s(?P<s1>\d{{1,2}})
        | {_SEASON_WORD_BEFORE}[\s.]?(?P<s2>\d{{1,2}})(?:of\d{{1,2}})?
        | (?P<s3>\d{{1,2}}){_ORDINAL}?[\s.]?{_SEASON_WORD}
        | シーズン\s?(?P<s4>\d{{1,2}})
        ) | 第\s?(?P<s5>\d{{1,2}})\s?季 | (?<=\s)(?P<s6>\d{{1,2}})\s?期
        )\)?$""",
    _IX,
)
#: ``Title - 05`` or ``Title 313-315`` before an ``S01E05`` marker: an absolute number.
TITLE_ABSOLUTE = re.compile(
    r"(?:(?<![\s.\-])[\s.]++-[\s.]*+\d{1,4}(?:\.\d)?|(?<![\s.])[\s.]++\d{1,4}-\d{1,4})$"
)
#: A Chinese number after 第 (``第十一季``, ``第二十三集``), read as digits before parsing.
CJK_ORDINAL = re.compile(r"第\s?([〇零一二两三四五六七八九十百]{1,6})(?=\s?[季集話话回期部])")
TITLE_EPISODE_WORD = re.compile(rf"(?<![\s.\-])[\s.\-]++{_EPISODE_WORD}$", _I)
#: Release words that never belong to a title: a title ends before them.
STRONG_TECH = re.compile(
    r"""(?<![a-z0-9])(?:\d{3,4}[pi]|hdtv|pdtv|webrip|web-?dl|blu-?ray|bdrip|brrip|dvdrip|hdrip
        |[xh]\.?26[45]|hevc|xvid|divx|audio[ .](?:latino|castellano))(?![a-z0-9])""",
    _IX,
)
#: ``Title (US) - Episode Title S02E09``: a year or country in brackets, then a dash, ends
#: the title (what follows is the episode's).
PAREN_TITLE_END = re.compile(rf"\((?:{_YEAR}|US|UK|AU|NZ|CA)\)(?=[\s.]++-[\s.])")
TITLE_YEAR = re.compile(rf"(?<![\s.(\[])[\s.(\[]++({_YEAR})[)\]]?$")
TITLE_NOISE = re.compile(
    r"(?<![\s.\-])[\s.\-]++(?:(?:the\s)?(?:complete|full|integrale|completa|komplett)"
    r"(?:[\s.]series)?|(?:hd\s)?remaster(?:ed)?|(?:19|20)\d\d[\s.\-]\d\d[\s.\-]\d\d)$",
    _I,
)
TRAILING_TAGS = re.compile(r"(?<![\]\s])(?:\s*+\[[^\]\[]*+\])++\s*+$")
TRAILING_PAREN = re.compile(r"(?<!\s)\s*+\(([^()]*+)\)$")
TITLE_COUNTRY = re.compile(r"(?<=\w)[\s.]+(?:US|UK|AU|NZ|CA|\((?:US|UK|AU|NZ|CA)\))$")
#: What joins two titles of one show: ``Title A / Title B``, ``Show - Other Name``.
TITLE_SLASH = re.compile(r"\s*/\s*")
TITLE_DASH = re.compile(r"\s+[-–]\s+")
LAST_WORD = re.compile(r"(?<![\s.\-])[\s.\-]++(\S+)$")
ACRONYM_DOTS = re.compile(r"(?<![a-z0-9])((?:[a-z]\.){2,}[a-z]?)(?![a-z0-9])", _I)
SPACES = re.compile(r"\s+")
#: A letter outside the Latin alphabets (Cyrillic, Greek, CJK, ...).
NON_LATIN_LETTER = re.compile(r"[^\W\d_\u0000-\u024f\u1e00-\u1eff]")
#: What a title with other titles in it has: a ``/``, a spaced dash, a non-Latin letter.
SEVERAL_TITLES = re.compile(rf"/|\s[-–]\s|{NON_LATIN_LETTER.pattern}")
