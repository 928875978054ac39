"""Retraining a style while the bot serves: the supervisor on the bot's side, the worker in the
spawned training process, the value objects they exchange, and the report's plot."""
