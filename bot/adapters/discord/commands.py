"""The slash commands (an app-command tree) and the owner's `!sync`. Each command turns its
typed options into a request with the grammar's builders (the same checks as a text command)
and hands it to the bot; nothing here parses text or decides a use case.

Commands in the tree are answered whether or not they were synced; syncing is deliberate
(`!sync` by the owner, or `namesmith discord-sync`): Discord limits how often commands change.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import grammar, texts
from bot.adapters.discord.client import Namesmith, attachment_upload
from bot.adapters.discord.layout import clip
from bot.adapters.discord.render import respond
from bot.grammar import COMMANDS, RETRAIN_ACTIONS
from bot.reply import Reply
from bot.requests import (
    EXPORT_FORMATS,
    MAX_AFFIX_LEN,
    MAX_COUNT,
    MAX_PARTY,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
    AuditRequest,
    ResetRequest,
    StatsRequest,
)

log = logging.getLogger(__name__)


def install(bot: Namesmith) -> None:
    """Put the slash commands in the bot's tree (answered, not yet synced) and `!sync` among
    its text commands."""
    for command in SLASH_COMMANDS:
        bot.tree.add_command(command)
    bot.tree.error(_on_tree_error)
    bot.add_command(sync_command)


def _bot(interaction: discord.Interaction) -> Namesmith:
    client = interaction.client
    assert isinstance(client, Namesmith)
    return client


async def _on_tree_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    """The one place a slash command that failed outside the service ends: a command this
    version no longer has (Discord's menu still shows it until the next sync) is said so;
    anything else is a log line and an apology."""
    if isinstance(error, app_commands.CommandNotFound):
        log.info("discord: a command this version does not have was used (%s)", error.name)
        reply = Reply(texts.GONE_COMMAND, private=True)
    else:
        log.error("discord command failed", exc_info=error)
        reply = Reply(texts.SORRY, private=True)
    with contextlib.suppress(discord.HTTPException):
        await respond(interaction, reply)


async def _style_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return _menu_choices(_bot(interaction).service.style_menu(current))


async def _styles_topic_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return _menu_choices(_bot(interaction).service.style_menu(current, groups=True))


def _menu_choices(menu: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """An autocomplete's first 25 choices, each name and value within Discord's 100."""
    return [app_commands.Choice(name=clip(text, 100), value=s[:100]) for s, text in menu][:25]


async def _gender_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    chosen = str(getattr(interaction.namespace, "style", "") or "").casefold()
    labels = _bot(interaction).service.genders(chosen)
    word = current.casefold().strip()
    return [app_commands.Choice(name=g, value=g) for g in labels if g.startswith(word)][:25]


async def _country_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    chosen = str(getattr(interaction.namespace, "style", "") or "towns").casefold()
    countries = _bot(interaction).service.countries(chosen)
    word = current.casefold().strip()
    return [app_commands.Choice(name=c, value=c) for c in countries if c.startswith(word)][:25]


def _fields(**values: object) -> dict[str, object]:
    return values


@app_commands.command(name="name", description="Invent names")
@app_commands.describe(
    prefix="names start with this, e.g. Eld",
    temperature=f"{TEMPERATURE_MIN:g} (safe) to {TEMPERATURE_MAX:g} (wild); 1 is the default",
    count=f"how many names, 1 to {MAX_COUNT}",
    style="the kind of names: elf, dwarf, english…, or a blend: elf+dwarf, half-elf",
    gender="female, male, neutral or any (for styles that have genders)",
    like="names like this one, e.g. Legolas; favs: like your favourites",
    country="for towns: the country, e.g. polish",
    table="a numbered table to roll on (20 names unless a count is given)",
    ends="names end with this, e.g. iel",
    contains="names contain this, e.g. ar",
    length="a length or a range, e.g. 6 or 4-8",
    new="only names that are not in the training list",
    full="a given name and a family name (styles with family names)",
)
@app_commands.autocomplete(style=_style_choices, gender=_gender_choices, country=_country_choices)
async def name_command(
    interaction: discord.Interaction,
    prefix: app_commands.Range[str, 1, MAX_AFFIX_LEN] | None = None,
    temperature: app_commands.Range[float, TEMPERATURE_MIN, TEMPERATURE_MAX] | None = None,
    count: app_commands.Range[int, 1, MAX_COUNT] | None = None,
    style: str | None = None,
    gender: str | None = None,
    ends: app_commands.Range[str, 1, MAX_AFFIX_LEN] | None = None,
    contains: app_commands.Range[str, 1, MAX_AFFIX_LEN] | None = None,
    length: app_commands.Range[str, 1, 7] | None = None,
    new: bool | None = None,
    full: bool | None = None,
    like: app_commands.Range[str, 1, MAX_AFFIX_LEN] | None = None,
    country: app_commands.Range[str, 1, 32] | None = None,
    table: bool | None = None,
) -> None:
    fields = _fields(
        prefix=prefix, temperature=temperature, count=count, style=style, gender=gender,
        ends=ends, contains=contains, length=length, new=new, full=full, like=like,
        country=country, table=table,
    )  # fmt: skip
    await _bot(interaction).answer_command(
        interaction, lambda styles: grammar.name_request(fields, styles)
    )


@app_commands.command(name="npc", description="One character: a full name, race and gender")
@app_commands.describe(race="elf, dwarf, half-elf…; none: drawn at random", gender="female…")
@app_commands.autocomplete(race=_style_choices, gender=_gender_choices)
async def npc_command(
    interaction: discord.Interaction,
    race: app_commands.Range[str, 1, 100] | None = None,
    gender: str | None = None,
) -> None:
    words = [w for w in (race, gender) if w]
    await _bot(interaction).answer_command(
        interaction, lambda styles: grammar.request_of("npc", words, styles)
    )


@app_commands.command(name="party", description="A party: one full name per member")
@app_commands.describe(
    members=f"races, e.g. elf dwarf halfling human (up to {MAX_PARTY}), or a number: 4"
)
async def party_command(
    interaction: discord.Interaction, members: app_commands.Range[str, 1, 200]
) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: grammar.party_request(members.replace(",", " ").split(), styles)
    )


@app_commands.command(name="styles", description="The styles I know, with sample names")
@app_commands.describe(about="a group (fantasy, cultures, family names, places) or one style")
@app_commands.autocomplete(about=_styles_topic_choices)
async def styles_command(
    interaction: discord.Interaction, about: app_commands.Range[str, 1, 64] | None = None
) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: grammar.styles_request(about or "", styles), private=True
    )


@app_commands.command(name="rate", description="How name-like a name is")
@app_commands.describe(name="the name to rate", style="rate it as this style")
@app_commands.autocomplete(style=_style_choices)
async def rate_command(
    interaction: discord.Interaction,
    name: app_commands.Range[str, 1, 64],
    style: str | None = None,
) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: grammar.rate_request(name, style, styles)
    )


@app_commands.command(name="fav", description="Save a name to your favourites")
@app_commands.describe(
    name="the name to save",
    tags="tags, e.g. #book2 #villain",
    note="a note on it (up to 500 characters)",
)
async def fav_command(
    interaction: discord.Interaction,
    name: app_commands.Range[str, 1, 64],
    tags: app_commands.Range[str, 1, 200] | None = None,
    note: app_commands.Range[str, 1, 500] | None = None,
) -> None:
    await _bot(interaction).answer_command(
        interaction,
        lambda styles: grammar.fav_request(name, grammar.tag_words(tags), note or ""),
        private=True,
    )


@app_commands.command(name="favs", description="Your favourites, newest first")
@app_commands.describe(page="which page (10 names a page)", tag="only those with this tag")
async def favs_command(
    interaction: discord.Interaction,
    page: app_commands.Range[int, 1, 9999] | None = None,
    tag: app_commands.Range[str, 1, 33] | None = None,
) -> None:
    await _bot(interaction).answer_command(
        interaction,
        lambda styles: grammar.favs_request(1 if page is None else page, tag),
        private=True,
    )


@app_commands.command(name="note", description="Write (or clear) a note on a favourite")
@app_commands.describe(
    name="the favourite, or its number in /favs", note="the note; leave out to clear it"
)
async def note_command(
    interaction: discord.Interaction,
    name: app_commands.Range[str, 1, 64],
    note: app_commands.Range[str, 1, 500] | None = None,
) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: grammar.note_request(name, note), private=True
    )


@app_commands.command(name="tag", description="Tag a favourite, or take tags off")
@app_commands.describe(
    name="the favourite, or its number in /favs",
    add="tags to add, e.g. #book2 #villain",
    remove="tags to take off",
)
async def tag_command(
    interaction: discord.Interaction,
    name: app_commands.Range[str, 1, 64],
    add: app_commands.Range[str, 1, 200] | None = None,
    remove: app_commands.Range[str, 1, 200] | None = None,
) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: grammar.tag_request(name, add, remove), private=True
    )


@app_commands.command(name="unfav", description="Forget a favourite (or all of them)")
@app_commands.describe(name="the name to forget, or all")
async def unfav_command(
    interaction: discord.Interaction, name: app_commands.Range[str, 1, 64]
) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: grammar.unfav_request(name), private=True
    )


@app_commands.command(name="export", description="Your favourites as a file")
@app_commands.describe(format="csv (the default) for a spreadsheet, md for notes, txt for names")
@app_commands.choices(format=[app_commands.Choice(name=f, value=f) for f in EXPORT_FORMATS])
async def export_command(interaction: discord.Interaction, format: str | None = None) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: grammar.export_request(format), private=True
    )


@app_commands.command(name="settings", description="Show or set your defaults (or the server's)")
@app_commands.describe(
    style="your default style",
    temperature=f"your default temperature, {TEMPERATURE_MIN:g} to {TEMPERATURE_MAX:g}",
    count=f"your default number of names, 1 to {MAX_COUNT}",
    gender="your default gender: female, male or any",
    new="only names not in the training list, by default",
    server="the server's defaults instead of yours (needs Manage Server)",
)
@app_commands.autocomplete(style=_style_choices, gender=_gender_choices)
async def settings_command(
    interaction: discord.Interaction,
    style: str | None = None,
    temperature: app_commands.Range[float, TEMPERATURE_MIN, TEMPERATURE_MAX] | None = None,
    count: app_commands.Range[int, 1, MAX_COUNT] | None = None,
    gender: str | None = None,
    new: bool | None = None,
    server: bool = False,
) -> None:
    fields = _fields(style=style, temperature=temperature, count=count, gender=gender, new=new)
    await _bot(interaction).answer_command(
        interaction,
        lambda styles: grammar.settings_request(fields, styles, chat=server),
        private=True,
    )


@app_commands.command(name="reset", description="Forget your defaults")
async def reset_command(interaction: discord.Interaction) -> None:
    await _bot(interaction).answer_command(interaction, lambda styles: ResetRequest(), private=True)


@app_commands.command(name="help", description="All commands, or one in detail")
@app_commands.describe(command="the command to explain")
@app_commands.choices(
    command=[app_commands.Choice(name=c, value=c) for c in COMMANDS if c in texts.HELP]
)
async def help_command(interaction: discord.Interaction, command: str | None = None) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: grammar.help_request(command), private=True
    )


@app_commands.command(name="stats", description="Usage figures (the bot's admins)")
async def stats_command(interaction: discord.Interaction) -> None:
    await _bot(interaction).answer_command(interaction, lambda styles: StatsRequest(), private=True)


async def _corpus_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    word = current.casefold().strip()
    found = [(n, about) for n, about in _bot(interaction).service.corpora().items() if word in n]
    found.sort(key=lambda item: (not item[0].startswith(word), item[0]))  # "elf" before "dnd-elf"
    return [
        app_commands.Choice(name=clip(f"{name} — {about}", 100), value=name)
        for name, about in found
    ][:25]


@app_commands.command(name="retrain", description="Train a style on a names file (bot admins)")
@app_commands.describe(
    style="the style to train (a new name makes a new style)",
    file="a .txt file: one name per line, optionally name<TAB>label; at most 2 MB",
    corpus="train on a built-in corpus instead of a file",
    seconds="how long to train (the default when not given)",
    force="adopt the new model even if it is not better",
    action="start (the default), status of the running training, cancel it, or remove an "
    "added style",
)
@app_commands.choices(
    action=[app_commands.Choice(name=a, value=a) for a in ("start", *RETRAIN_ACTIONS, "remove")]
)
@app_commands.autocomplete(style=_style_choices, corpus=_corpus_choices)
async def retrain_command(
    interaction: discord.Interaction,
    style: app_commands.Range[str, 1, 32] | None = None,
    file: discord.Attachment | None = None,
    corpus: app_commands.Range[str, 1, 32] | None = None,
    seconds: app_commands.Range[int, 10, 9999] | None = None,
    force: bool = False,
    action: str = "start",
) -> None:
    upload = attachment_upload(file) if file is not None else None
    await _bot(interaction).answer_command(
        interaction,
        lambda styles: grammar.retrain_request(
            action, style, corpus=corpus, seconds=seconds, force=force
        ),
        only_private=True,
        upload=upload,
    )


@app_commands.command(name="rollback", description="Serve a style's previous model (bot admins)")
@app_commands.describe(style="the style to roll back")
@app_commands.autocomplete(style=_style_choices)
async def rollback_command(
    interaction: discord.Interaction, style: app_commands.Range[str, 1, 32]
) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: grammar.rollback_request(style), only_private=True
    )


@app_commands.command(name="audit", description="Recent admin actions (bot admins)")
async def audit_command(interaction: discord.Interaction) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: AuditRequest(), only_private=True
    )


SLASH_COMMANDS: tuple[app_commands.Command[Any, Any, None], ...] = (
    name_command, npc_command, party_command, styles_command, rate_command, fav_command,
    favs_command, note_command, tag_command, unfav_command,
    export_command, settings_command, reset_command, help_command, stats_command,
    retrain_command, rollback_command, audit_command,
)  # fmt: skip


@commands.command(name="sync")
@commands.is_owner()
async def sync_command(ctx: commands.Context[Any], where: str = "") -> None:
    """`!sync` pushes the slash commands to every server; `!sync here` to this one, at once."""
    if where not in ("", "here"):
        raise commands.BadArgument(where)
    guild = ctx.guild if where == "here" else None
    if where == "here" and guild is None:
        await ctx.send("Use `sync here` in a server, or `sync` for everywhere.")
        return
    bot = ctx.bot
    assert isinstance(bot, Namesmith)
    if guild is not None:
        bot.tree.copy_global_to(guild=guild)
    try:
        synced = await bot.tree.sync(guild=guild)
    except discord.HTTPException as exc:
        await ctx.send(sync_refused(exc))
        return
    where_to = "to this server" if guild else "everywhere (Discord may take a while to show them)"
    await ctx.send(f"Synced {len(synced)} slash commands {where_to}.")


def sync_refused(exc: discord.HTTPException) -> str:
    """What to tell when Discord refuses the commands (from `!sync` or the command line)."""
    return (
        f"Discord refused the commands (HTTP {exc.status}: {exc.text[:200]}); was the bot "
        "invited with the applications.commands scope, and is the server id right?"
    )
