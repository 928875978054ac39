"""A console chat that speaks the same commands: no token, no network.

Reads lines from stdin, prints replies. A reply's names are numbered, and so is every other
action under it: type the number to press it. A file reply (/export) is printed inline, a
picture saved next to the working folder. A file to send with a command is named by its path:
`/retrain elf file=names.txt`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import threading
from collections.abc import Callable, Hashable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.actions import Act
from bot.reply import Action, Context, Reply, Upload
from bot.service import Service

USER = "console:local"
PROMPT = "> "
WIDTH = 80
STYLE_CHOICES = 6  # of the styles a reply offers, the first this many


def render(reply: Reply) -> tuple[str, list[Action]]:
    """The text to print, and the actions in the order they are numbered. A names reply lists
    each name once, with the number that saves it."""
    styles = list(reply.of(Act.STYLE))[:STYLE_CHOICES]
    others = [a for a in reply.actions if a.kind not in (Act.SAVE, Act.STYLE)]
    actions = [*reply.of(Act.SAVE), *others, *styles]
    saves = reply.of(Act.SAVE)
    if reply.names is not None and saves:
        listed = reply.names
        lines = [" · ".join(p for p in (listed.title or listed.style, listed.settings) if p)]
        shown = [_unnumbered(x) for x in listed.lines] or [listed.marked(a.label) for a in saves]
        lines += [f"  [{i}] {line}" for i, line in enumerate(shown, start=1)]
        lines += reply.asides
        choices = [f"[1-{len(saves)}] ⭐ save" if len(saves) > 1 else "[1] ⭐ save"]
    else:
        lines = [reply.plain]
        choices = []
    choices += [f"[{i}] {a.caption}" for i, a in enumerate(actions, start=1) if a.kind != Act.SAVE]
    lines += _fill(choices)
    if reply.file is not None and reply.file.filename.endswith(".png"):
        Path(reply.file.filename).write_bytes(reply.file.content)
        lines.append(f"(picture saved as {reply.file.filename})")
    elif reply.file is not None:
        lines.append(f"--- {reply.file.filename} ---")
        lines.append(reply.file.content.decode("utf-8").rstrip("\n"))
        lines.append("---")
    return "\n".join(lines), actions


def _unnumbered(line: str) -> str:
    """A table's or a party's line without its own number: the console numbers every line."""
    return re.sub(r"^\s*\d+\. ", "", line)


def _upload(text: str) -> tuple[str, Upload | None]:
    """The command without its `file=PATH` word, and that file as an upload; FileNotFoundError
    when there is no such file."""
    words = text.split()
    paths = [w.removeprefix("file=") for w in words if w.startswith("file=")]
    if not paths:
        return text, None
    path = Path(paths[0]).expanduser()
    if not path.is_file():
        raise FileNotFoundError(paths[0])

    async def fetch() -> bytes:
        return await asyncio.to_thread(path.read_bytes)

    rest = " ".join(w for w in words if not w.startswith("file="))
    return rest, Upload(path.name, path.stat().st_size, fetch)


class _Printer:
    """Progress and results of a long job, printed as they come (a terminal cannot edit)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say

    async def send(self, reply: Reply) -> Hashable:
        self.say(render(reply)[0])
        return None

    async def edit(self, handle: Hashable, text: str) -> None:
        self.say(text)


def _fill(items: list[str], width: int = WIDTH) -> list[str]:
    """Items on as few lines as fit in `width`, never breaking one."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 3 + len(item) <= width:
            lines[-1] += "   " + item
        else:
            lines.append(item)
    return lines


async def _lines(stdin: TextIO) -> asyncio.Queue[str | None]:
    """Lines from stdin, read by a daemon thread so that a signal never waits for Enter."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in iter(stdin.readline, ""):
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return queue


async def run(
    service: Service,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve one console user until end of input (Ctrl-D), /quit, or `stop`."""
    actions: list[Action] = []
    lines = await _lines(stdin)
    stop = stop or asyncio.Event()

    def say(text: str) -> None:
        stdout.write(text + "\n")
        stdout.flush()

    # The one person at the keyboard is trusted: no rate limit between them and their answers.
    ctx = Context(user=USER, platform="console", notify=_Printer(say), trusted=True)

    say("Namesmith console. Type /help for the commands, /quit to leave.")
    while not stop.is_set():
        stdout.write(PROMPT)
        stdout.flush()
        line = await _next(lines, stop)
        if line is None:
            break
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit", "quit", "exit"):
            break
        reply: Reply | None
        if text.isascii() and text.isdigit():
            if not actions:
                say(
                    "Numbers press the choices listed under a reply; there are none yet. Try /name."
                )
                continue
            i = int(text)
            if not 1 <= i <= len(actions):
                say(f"There is no choice {i}; choose 1 to {len(actions)}.")
                continue
            reply = await service.on_button(ctx, actions[i - 1].data)
        elif text.casefold() in ("yes", "y", "no", "n") and any(
            a.kind == Act.CONFIRM for a in actions
        ):  # a question asked with buttons is answered in words too
            confirm = next(a for a in actions if a.kind == Act.CONFIRM)
            actions = [a for a in actions if a.kind != Act.CONFIRM]  # answered either way
            if text.casefold().startswith("n"):
                say("Nothing was changed.")
                continue
            reply = await service.on_button(ctx, confirm.data)
        else:
            try:
                text, upload = _upload(text)
            except FileNotFoundError as exc:
                say(f"There is no file {exc}; give its path, e.g. file=names.txt")
                continue
            reply = await service.on_text(replace(ctx, upload=upload), text)
        if reply is None:
            continue
        out, new_actions = render(reply)
        actions = new_actions or actions
        say(out)


async def _next(lines: asyncio.Queue[str | None], stop: asyncio.Event) -> str | None:
    getter = asyncio.ensure_future(lines.get())
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if getter.done():
        return getter.result()
    getter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await getter
    return None
