"""A console chat that speaks the same commands: no token, no network.

Reads lines from stdin, prints replies. Buttons are numbered: type the number to press one.
A file reply (/export) is printed inline.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.reply import Button, Context, Reply
from bot.service import Service

USER = "console:local"
PROMPT = "> "


def render(reply: Reply) -> tuple[str, list[Button]]:
    """The text to print, and the buttons in the order they are numbered."""
    lines = [reply.text]
    buttons = [b for row in reply.buttons for b in row]
    if buttons:
        lines.append("  ".join(f"[{i}] {b.label}" for i, b in enumerate(buttons, start=1)))
    if reply.file is not None:
        lines.append(f"--- {reply.file.filename} ---")
        lines.append(reply.file.content.decode("utf-8").rstrip("\n"))
        lines.append("---")
    return "\n".join(lines), buttons


async def run(service: Service, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Serve one console user until end of input (Ctrl-D) or /quit."""
    ctx = Context(user=USER, platform="console")
    loop = asyncio.get_running_loop()
    buttons: list[Button] = []

    def say(text: str) -> None:
        stdout.write(text + "\n")
        stdout.flush()

    say("Namesmith console. Type /help for the commands, /quit to leave.")
    while True:
        stdout.write(PROMPT)
        stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit"):
            break
        if text.isdigit() and buttons:
            i = int(text)
            if not 1 <= i <= len(buttons):
                say(f"There is no button {i}; choose 1 to {len(buttons)}.")
                continue
            reply: Reply | None = await service.on_button(ctx, buttons[i - 1].data)
        else:
            if not text.startswith("/"):
                text = "/" + text  # the console needs no slash: "name Eld 0.7" works
            reply = await service.on_text(ctx, text)
        if reply is None:
            continue
        out, new_buttons = render(reply)
        buttons = new_buttons or buttons
        say(out)
