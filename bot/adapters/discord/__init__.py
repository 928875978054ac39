"""Discord, through discord.py. A handler pulls out (user, server, options or text), calls the
service, renders the Reply (an embed for names, buttons and menus for its actions) and answers.

- `client`: the bot (an AutoShardedBot): text commands, buttons and menus, contexts, answering
  every interaction within Discord's 3 seconds, one user's commands in order.
- `commands`: the slash commands, whose typed options meet the grammar's builders (the same
  checks as a text command), and the owner's `!sync`.
- `render`: a Reply as discord.py objects (embed, dynamic buttons and menus) and sending it.
- `layout`: how a Reply fits Discord's limits, decided without the SDK.
- `run`: start-up (login, intents, gateway), the stop, and syncing the commands.

Admins retrain a style with `/retrain` (a `file` attachment option, or `corpus`), or
`!retrain elf` with the file attached to the message. The answers to the admin are ephemeral;
the progress message and the result (with its PNG) are posted in the channel asked from.
"""
