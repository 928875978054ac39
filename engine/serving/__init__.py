"""Trained models at work: checkpoints, the registry that owns every served model, the models
folder, sampling and scoring, and the async generator the bot awaits."""
