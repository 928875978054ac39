"""Names as data: the corpora a style learns from, the word filter's lists, and the recipes
(which corpus, which network, how many steps) that trained the shipped styles."""
