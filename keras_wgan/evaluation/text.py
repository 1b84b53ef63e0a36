"""What generated text is scored against: a corpus and the score of its own held-out lines."""

import functools

from keras_wgan.datasets.text import (
    LM1B_LINES,
    SEQUENCE_LENGTH,
    check_corpus_size,
    corpus_lines,
    held_out_split,
    sequences,
)
from keras_wgan.evaluation.text_metrics import text_scores


@functools.lru_cache(maxsize=4)
def _reference(name, data_dir, max_lines):
    lines = sequences(corpus_lines(name, data_dir, max_lines))
    check_corpus_size(name, len(lines))
    held_out, rest = held_out_split(lines)
    return {"lines": rest, "baseline": text_scores(held_out, rest, length=SEQUENCE_LENGTH)}


def text_reference(name, data_dir=None, max_lines=LM1B_LINES):
    """What samples of a text dataset are scored against, as `gan_language.py` does.

    Returns:
        {"lines": the corpus's sequences but 640 held-out ones (a fixed random choice),
        "baseline": the scores (`text_metrics.text_scores`) of those 640 real lines against
        the rest: the ideal at that sample size}.
    """
    return _reference(name, data_dir, int(max_lines))
