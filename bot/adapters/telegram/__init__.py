"""Telegram, through python-telegram-bot. A handler pulls out (user, chat, text), calls the
service and hands the Reply to delivery.

- `handlers`: the PTB handlers (commands, files, buttons), their contexts, the error handler.
- `delivery`: the Reply as Telegram messages and keyboards, sent with retries (its docstring
  says what is guaranteed).
- `run`: the Application, updates in order per sender, polling or webhooks, start and stop.
"""
