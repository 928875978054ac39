"""A reply's asides are fields; every platform can still show the whole reply as plain text."""

from __future__ import annotations

from bot import texts
from bot.reply import Reply, split_text


def test_plain_text_puts_the_asides_after_the_answer() -> None:
    reply = Reply("english · t=1\nAnna", notes=("fewer names than asked", "a hint"))
    assert reply.plain == "english · t=1\nAnna\n(fewer names than asked)\n(a hint)"


def test_buttons_off_is_said_last() -> None:
    reply = Reply("Anna", notes=("a hint",), buttons_off=True)
    assert reply.asides == ("(a hint)", texts.NO_BUTTONS)


def test_a_reply_without_asides_is_its_text() -> None:
    assert Reply("Hello").plain == "Hello"


def test_split_text_keeps_lines_whole_where_it_can() -> None:
    assert split_text("aaa\nbbb\nccc", 7) == ["aaa\nbbb", "ccc"]
    assert split_text("x" * 10, 4) == ["xxxx", "xxxx", "xx"]
    assert split_text("", 4) == ["…"]


def test_split_text_keeps_paragraphs_whole_where_they_fit() -> None:
    # /styles' groups are paragraphs: a group never starts at the end of another's message.
    assert split_text("aa\nbb\n\ncc\ndd\n\nee", 11) == ["aa\nbb", "cc\ndd\n\nee"]
    assert split_text("aa\nbb\n\ncccc\ndddd", 6) == ["aa\nbb", "cccc", "dddd"]
    assert split_text("aa\n\n\n\nbb", 4) == ["aa", "bb"]
