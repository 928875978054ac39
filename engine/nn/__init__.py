"""The network and how it learns: vocabulary, casing rules, the CharRNN and its training loop.

Torch, numpy and the standard library only; nothing here knows of corpora files, checkpoints or
serving."""
