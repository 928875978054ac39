from __future__ import annotations

from collections.abc import Callable

import pytest

from bot import grammar
from bot.grammar import ParseError, name_options, parse, split_command
from bot.requests import (
    ExportRequest,
    FavRequest,
    FavsRequest,
    HelpRequest,
    NameOptions,
    NameRequest,
    NoteRequest,
    RateRequest,
    Request,
    RetrainRequest,
    RollbackRequest,
    SettingsRequest,
    TagRequest,
    UnfavRequest,
)

STYLES = {"english", "elf", "dwarf", "surnames", "human"}


def _name(text: str) -> NameOptions:
    request = parse(text, STYLES, "NamesmithBot")
    assert isinstance(request, NameRequest)
    return request.options


def _settings(text: str) -> SettingsRequest:
    request = parse(text, STYLES)
    assert isinstance(request, SettingsRequest)
    return request


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/name", NameOptions()),
        ("/name Eld", NameOptions(prefix="Eld")),
        ("/name Eld 0.7", NameOptions(prefix="Eld", temperature=0.7)),
        ("/name 0.7", NameOptions(temperature=0.7)),
        ("/name Eld 0.7 10", NameOptions(prefix="Eld", temperature=0.7, count=10)),
        ("/name Eld 0,7", NameOptions(prefix="Eld", temperature=0.7)),
        ("/name 2.0", NameOptions(temperature=2.0)),
        ("/name .5", NameOptions(temperature=0.5)),
        ("/name 3", NameOptions(count=3)),
        ("/name 10", NameOptions(count=10)),
        ("/name 1.5 4", NameOptions(temperature=1.5, count=4)),
        ("/name 1.0 4", NameOptions(temperature=1.0, count=4)),
        ("/name elf 3 0.7", NameOptions(style="elf", count=3, temperature=0.7)),
        (
            "/name elf 10 new 0.3",
            NameOptions(style="elf", count=10, new_only=True, temperature=0.3),
        ),
        ("/name 5 0.7", NameOptions(count=5, temperature=0.7)),
        ("/name 1 0.7", NameOptions(count=1, temperature=0.7)),
        ("/name elf female 3", NameOptions(style="elf", gender="female", count=3)),
        ("/name 0.7 Eld", NameOptions(prefix="Eld", temperature=0.7)),
        ("/name elf", NameOptions(style="elf")),
        ("/name Eld elf female", NameOptions(prefix="Eld", style="elf", gender="female")),
        ("/name prefix=elf", NameOptions(prefix="elf")),
        ("/name new", NameOptions(new_only=True)),
        ("/name elf f", NameOptions(style="elf", gender="female")),
        ("/name M 3", NameOptions(gender="male", count=3)),
        ("/name prefix=F", NameOptions(prefix="F")),
        ("/name gender=any", NameOptions(gender="any")),
        ("/name elf elf", NameOptions(style="elf")),
        (
            "/name style=elf gender=f len=4-8 ends=iel contains=ar new",
            NameOptions(
                style="elf",
                gender="female",
                min_len=4,
                max_len=8,
                ends_with="iel",
                contains="ar",
                new_only=True,
            ),
        ),
        ("/name len=6", NameOptions(min_len=6, max_len=6)),
        ("/name temp=1.2 count=3 g=m", NameOptions(temperature=1.2, count=3, gender="male")),
        ("/name@NamesmithBot Eld", NameOptions(prefix="Eld")),
        ("/NAME@namesmithbot Eld", NameOptions(prefix="Eld")),
        ("/name   Eld    0.7  ", NameOptions(prefix="Eld", temperature=0.7)),
        # Blends, by a + or by an alias; written in one canonical form.
        ("/name elf+dwarf", NameOptions(style="elf:50+dwarf:50")),
        (
            "/name Eld elf:70+dwarf:30 0.7",
            NameOptions(prefix="Eld", style="elf:70+dwarf:30", temperature=0.7),
        ),
        ("/name half-elf", NameOptions(style="half-elf")),
        ("/name style=Elf+Dwarf+Human", NameOptions(style="elf:33.3+dwarf:33.3+human:33.3")),
        # Gender-neutral names: not "any", which mixes female and male names.
        ("/name neutral", NameOptions(gender="neutral")),
        ("/name elf nb", NameOptions(style="elf", gender="neutral")),
        ("/name gender=n", NameOptions(gender="neutral")),
        ("/name N 3", NameOptions(prefix="N", count=3)),  # a bare n stays a prefix
        ("/name like=Legolas", NameOptions(like="Legolas")),
        ("/name elf like=favs", NameOptions(style="elf", like="favs")),
        ("/name like=FAVS", NameOptions(like="favs")),
        ("/name country=Polish", NameOptions(gender="polish")),
        ("/name elf table", NameOptions(style="elf", table=True)),
        ("/table dwarf 12", NameOptions(style="dwarf", count=12, table=True)),
    ],
)
def test_name_grammar(text: str, expected: NameOptions) -> None:
    assert _name(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/name Eld hot", "two prefixes: 'Eld' and 'hot' — give one prefix"),
        ("/name Eld Gal", "two prefixes: 'Eld' and 'Gal'"),
        ("/name elf female male", "two genders: 'female' and 'male'"),
        ("/name elf dwarf", "two styles: 'elf' and 'dwarf'"),
        ("/name Eld prefix=Gal", "two prefixes"),
        ("/name ²", "'²' is not a number I can read"),
        ("/name n=²", "count must be a whole number"),
        ("/name 99999999999999", "is not a number I can read"),
        ("/name count=" + "9" * 5000, "count must be a whole number"),
        ("/name temp=1e400", "temperature must be"),
        ("/name temp=nan", "temperature must be"),
        ("/name " + "x" * 40, "prefix= takes at most 32 letters"),
        ("/nmae Eld", "unknown command /nmae; did you mean /name?"),
        ("/name 0", "count must be a whole number from 1 to 20"),
        ("/name -1", "count must be a whole number"),
        ("/name 0.0", "temperature must be a number between 0.1 and 3"),
        ("/name 4.5", "temperature must be"),
        ("/name 4 5", "two counts: '4' and '5' — a whole number is the count"),
        ("/name 1 4", "two counts: '1' and '4'"),
        ("/name Eld 0.7 50", "count must be a whole number from 1 to 20"),
        ("/name Eld 0.7 2.5", "two temperatures: '0.7' and '2.5' — a number with a decimal"),
        ("/name 0.7 5 6", "two counts: '5' and '6'"),
        ("/name Eld 0.7 5 more", "I don't understand 'more'"),
        ("/name style=klingon", "unknown style 'klingon'. Choose one of: dwarf, elf, english"),
        ("/name style=elven", "unknown style 'elven'; did you mean elf?"),
        ("/name gender=x", "gender must be female, male, neutral or any"),
        ("/name len=8-4", "the shortest must be at least 1 and at most the longest"),
        ("/name len=abc", "len takes a length or a range"),
        ("/name color=red", "unknown option color="),
        ("/name ends=", "ends= needs a value, e.g. ends=iel"),
        ("/frobnicate", "unknown command /frobnicate; send /help"),
        ("/name elf+dwraf", "unknown style 'dwraf' in the blend; did you mean dwarf?"),
        ("/name half-orc", "unknown style 'orc' in the blend (in 'half-orc')"),
        ("/name elf:70+dwarf", "give every style of a blend a weight, or none"),
        ("/name elf:x+dwarf:1", "cannot read the blend part 'elf:x'"),
        ("/name elf:0+dwarf:0", "the weights of a blend must not all be 0"),
        ("/name elf+dwarf+human+english+surnames", "a blend mixes at most 4 styles; 5"),
        ("/name elf+elf", "a blend names each style once"),
        ("/name elf+dwarf half-elf", "two styles"),
        ("/name like=" + "x" * 33, "like= takes one name of 1 to 32 letters"),
        ("/name like=", "like= needs a value, e.g. like=Legolas"),
        ("/name gender=nope", "gender must be female, male, neutral or any"),
        ("/name country=p0land", "country= takes a country's name, e.g. country=polish"),
        ("/name towns country=polish country=czech", "two genders"),
        ("/party 0", "a party has 1 to 8 members"),
        ("/npc elf male female", "/npc takes a race and a gender"),
    ],
)
def test_bad_name_input_says_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(ParseError) as err:
        parse(text, STYLES, "NamesmithBot")
    assert message in str(err.value)


@pytest.mark.parametrize("text", ["hello", "", "   ", "/", "/name@OtherBot Eld"])
def test_not_a_command_for_us(text: str) -> None:
    assert parse(text, STYLES, "NamesmithBot") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/rate Aragorn", RateRequest(("Aragorn",))),
        ("/rate Mary Jane elf female", RateRequest(("Mary", "Jane"), "elf", "female")),
        ("/rate elf", RateRequest(("elf",))),  # a lone word is the name, not a style
        ("/fav  Marianne   Dashwood ", FavRequest("Marianne Dashwood")),
        (
            "/fav Marianne Dashwood #book2 — elder sister, sensible",
            FavRequest("Marianne Dashwood", ("#book2",), "elder sister, sensible"),
        ),
        ("/fav Anna #a #b - the baker", FavRequest("Anna", ("#a", "#b"), "the baker")),
        ("/fav Anna: the baker", FavRequest("Anna", (), "the baker")),
        ("/fav Anna—the baker", FavRequest("Anna", (), "the baker")),
        ("/fav Jean-Luc", FavRequest("Jean-Luc")),  # a hyphen inside a name is the name's
        ("/favs #book2", FavsRequest(1, "#book2")),
        ("/favs #book2 2", FavsRequest(2, "#book2")),
        ("/note Anna — the baker", NoteRequest(("Anna",), "the baker")),
        ("/note Mary Jane twins", NoteRequest(("Mary", "Jane", "twins"))),
        ("/tag 2 #a -#b", TagRequest(("2",), ("#a",), ("#b",))),
        ("/export", ExportRequest()),
        ("/export Markdown", ExportRequest("md")),
        ("/favs", FavsRequest()),
        ("/favs 2", FavsRequest(2)),
        ("/unfav Eldrin", UnfavRequest("Eldrin")),
        ("/unfav 12", UnfavRequest("12", position=12)),
        ("/unfav all", UnfavRequest("all", everything=True)),
        ("/help", HelpRequest()),
        ("/help /Name", HelpRequest("name")),
        ("/rollback Elf", RollbackRequest("elf")),
        ("/rollback", RollbackRequest("")),
        ("/retrain status", RetrainRequest(action="status")),
        (
            "/retrain Gnome corpus=Elf seconds=30 force",
            RetrainRequest(style="gnome", corpus="elf", seconds=30, force=True),
        ),
        ("/settings chat style=elf", SettingsRequest(NameOptions(style="elf"), chat=True)),
    ],
)
def test_each_command_becomes_its_typed_request(text: str, expected: Request) -> None:
    assert parse(text, STYLES) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/rate", "give a name to rate"),
        ("/rate a b c d e", "up to four words"),
        ("/fav", "give the name to save"),
        ("/fav #book2 — a note", "give the name to save"),
        ("/note — a note", "say which favourite"),
        ("/tag Anna", "usage: /tag"),
        ("/export pdf", "/export makes csv, md (Markdown) or txt, not 'pdf'"),
        ("/favs two", "the page must be a whole number"),
        ("/favs 0", "the page must be a whole number"),
        ("/unfav", "give the name to forget"),
        ("/help frob", "no command /frob; the commands are: /name"),
        ("/retrain", "usage: /retrain <style>"),
        ("/retrain status now", "/retrain status takes nothing more"),
        ("/retrain ёлка", "cannot be a style name"),
        ("/retrain elf seconds=soon", "seconds= takes a whole number"),
        ("/retrain elf wings", "I don't understand 'wings'"),
    ],
)
def test_bad_input_of_other_commands_says_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(ParseError) as err:
        parse(text, STYLES)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            lambda: grammar.rate_request("Mary Jane", "Elf", STYLES),
            RateRequest(("Mary", "Jane"), "elf"),
        ),
        (lambda: grammar.fav_request(" Eldrin "), FavRequest("Eldrin")),
        (lambda: grammar.favs_request(3), FavsRequest(3)),
        (lambda: grammar.unfav_request("all"), UnfavRequest("all", everything=True)),
        (lambda: grammar.help_request("fav"), HelpRequest("fav")),
        (lambda: grammar.rollback_request("elf"), RollbackRequest("elf")),
        (
            lambda: grammar.retrain_request("start", "Elf", corpus="Elf", seconds=30),
            RetrainRequest(style="elf", corpus="elf", seconds=30),
        ),
        (lambda: grammar.retrain_request("status", None), RetrainRequest(action="status")),
        (
            lambda: grammar.settings_request({"style": "elf"}, STYLES, chat=True),
            SettingsRequest(NameOptions(style="elf"), chat=True),
        ),
    ],
)  # fmt: skip
def test_typed_options_build_the_same_requests_as_words(
    build: Callable[[], Request], expected: Request
) -> None:
    assert build() == expected


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: grammar.rate_request("Aragorn", "klingon", STYLES), "unknown style"),
        (lambda: grammar.rate_request("  ", None, STYLES), "give a name to rate"),
        (lambda: grammar.retrain_request("start", None, corpus="elf"), "give the style to train"),
        (lambda: grammar.retrain_request("start", "el f"), "cannot be a style name"),
        (lambda: grammar.help_request("frob"), "no command /frob"),
    ],
)
def test_typed_options_are_refused_like_words(build: Callable[[], Request], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        build()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/settings", NameOptions()),
        (
            "/settings temperature=0.8 style=dwarf count=5 gender=f",
            NameOptions(temperature=0.8, style="dwarf", count=5, gender="female"),
        ),
    ],
)
def test_settings_grammar(text: str, expected: NameOptions) -> None:
    assert _settings(text).options == expected


def test_a_word_close_to_a_style_gets_a_hint() -> None:
    cmd = parse("/name kobold", {"goblin", "elf"})
    assert isinstance(cmd, NameRequest)
    assert cmd.options.prefix == "kobold"
    assert cmd.hints == (
        "kobold is not a style, so names start with Kobold; for a style, try /name goblin",
    )


def test_errors_quote_user_input_bounded_and_visible() -> None:
    with pytest.raises(ParseError) as err:
        parse("/name Eld " + "漢" * 1500, STYLES)
    assert len(str(err.value)) < 200
    with pytest.raises(ParseError) as err:
        parse("/" + "a" * 4095, STYLES)
    assert len(str(err.value)) < 200
    with pytest.raises(ParseError) as err:
        parse("/name gender=\u200bf", STYLES)
    assert "<U+200B>" in str(err.value)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"prefix": "Eld", "temperature": 0.7}, NameOptions(prefix="Eld", temperature=0.7)),
        (
            {"count": 3, "new": True, "gender": "f"},
            NameOptions(count=3, new_only=True, gender="female"),
        ),
        (
            {"length": "4-8", "ends": "iel", "style": "elf"},
            NameOptions(style="elf", min_len=4, max_len=8, ends_with="iel"),
        ),
        ({"prefix": None, "contains": ""}, NameOptions()),
    ],
)
def test_typed_options_meet_the_same_rules(
    fields: dict[str, object], expected: NameOptions
) -> None:
    assert name_options(fields, STYLES) == expected


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"temperature": 9.0}, "temperature must be"),
        ({"temperature": float("nan")}, "temperature must be"),
        ({"count": 0}, "count must be a whole number from 1 to 20"),
        ({"style": "klingon"}, "unknown style"),
        ({"length": "8-4"}, "the shortest must be"),
    ],
)
def test_typed_options_refused_like_words(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ParseError) as err:
        name_options(fields, STYLES)
    assert message in str(err.value)


def test_settings_take_new_and_any_gender() -> None:
    assert _settings("/settings new=yes gender=any").options == NameOptions(
        new_only=True, gender="any"
    )


@pytest.mark.parametrize(
    "text",
    [
        "/settings Eld",
        "/settings len=4-8",
        "/settings temp=9",
        "/settings count=²",
        "/settings new=maybe",
    ],
)
def test_bad_settings(text: str) -> None:
    with pytest.raises(ParseError):
        parse(text, STYLES)


def test_split_command() -> None:
    assert split_command("/help@bot name", "bot") == ("help", ["name"])


def test_every_command_has_help_and_a_parser() -> None:
    from bot import texts
    from bot.grammar import _PARSERS, COMMANDS

    assert set(texts.HELP) == set(COMMANDS) == set(_PARSERS)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("/styles", None),
        ("/styles cultures", "cultures"),
        ("/styles Family", "family names"),
        ("/styles family names", "family names"),
        ("/styles elf", "elf"),
        ("/styles surnames", "surnames"),  # a style, though the group holds family names
    ],
)
def test_styles_takes_a_group_or_a_style(text: str, topic: str | None) -> None:
    from bot.requests import StylesRequest

    assert parse(text, STYLES) == StylesRequest(topic)


def test_styles_of_something_else_says_what_it_takes() -> None:
    with pytest.raises(ParseError, match=r"a group \(fantasy, cultures, family names, places\)"):
        parse("/styles elves2", STYLES)
    with pytest.raises(ParseError, match="did you mean dwarf"):
        parse("/styles dwarfs", STYLES)


def test_an_unknown_style_among_many_points_to_styles_instead_of_listing_them() -> None:
    many = STYLES | {f"culture{i}" for i in range(60)}
    with pytest.raises(ParseError) as raised:
        parse("/name style=klingon", many)
    assert str(raised.value) == "unknown style 'klingon'. /styles lists all 65."
    with pytest.raises(ParseError, match="did you mean orc"):
        parse("/name style=orcish", many | {"orc", "goblin"})


@pytest.mark.parametrize(
    ("text", "country"), [("/name towns german 3", "german"), ("/name dutch towns 3", "dutch")]
)
def test_a_country_of_the_towns_that_is_also_a_style_names_the_country(
    text: str, country: str
) -> None:
    options = _name_in(text, {*STYLES, "towns", "german", "dutch", "italian"})
    assert (options.style, options.gender, options.count) == ("towns", country, 3)


def test_two_countries_of_the_towns_are_refused() -> None:
    with pytest.raises(ParseError, match="two countries: 'german' and 'italian'"):
        parse("/name towns german italian", {*STYLES, "towns", "german", "italian"})


@pytest.mark.parametrize("other", ["elf", "elf+dwarf"])
def test_a_style_that_is_no_country_of_the_towns_is_a_second_style(other: str) -> None:
    with pytest.raises(ParseError, match="two styles"):
        parse(f"/name towns {other}", {*STYLES, "towns"})


def _name_in(text: str, styles: set[str]) -> NameOptions:
    request = parse(text, styles)
    assert isinstance(request, NameRequest)
    return request.options
