"""Text datasets for the character-level language model (the paper's section 5.5).

Sources, one sequence a line:
- "text": the embedded default, CPython's own help texts (`pydoc_data.topics`, shipped
  with every Python: about 465,000 characters in 8,716 non-empty lines); no download.
- "text:PATH": any UTF-8 text file.
- "lm1b": the One Billion Word benchmark, the paper's data, through tensorflow-datasets
  (its "train" split, at most `max_lines` lines: 10 million by default, as
  `gan_language.py` reads).

Each line is stripped of surrounding whitespace (empty lines are dropped), cut to the
first `sequence_length` (32) characters and right-padded. The vocabulary is index 0 for
the padding (decoded as ""), index 1 for an unknown character (decoded as U+FFFD), then
the corpus's characters, most frequent first, up to 2,048 entries in all
(`language_helpers.py` keeps the 2,047 most frequent plus "unk"; its padding is the
backtick, which here is a character like any other). Case is kept.
"""

import collections
import functools
import os

import numpy as np
import tensorflow as tf

from keras_wgan.datasets.common import shuffled_positions, split_steps
from keras_wgan.datasets.images import tfds_load
from keras_wgan.utils.validation import check_int

TEXT_DATASETS = ("text", "lm1b")
FILE_PREFIX = "text:"
SEQUENCE_LENGTH = 32
MAX_VOCABULARY = 2048
PAD, UNKNOWN = "", "\ufffd"
#: Lines `gan_language.py` reads from the Billion Word benchmark.
LM1B_LINES = 10_000_000
#: Held-out real lines of the baseline score: 10 batches of 64, as `gan_language.py`.
HELD_OUT_LINES = 640
#: The fewest lines a corpus can be scored with: one held out, one to score against.
MIN_LINES = 2


def is_text_dataset(name):
    """Whether `name` names a text dataset ("text", "lm1b" or "text:PATH")."""
    return isinstance(name, str) and (
        name in TEXT_DATASETS or (name.startswith(FILE_PREFIX) and len(name) > len(FILE_PREFIX))
    )


def _embedded_lines():
    import pydoc_data.topics

    return "".join(pydoc_data.topics.topics[k] for k in sorted(pydoc_data.topics.topics))


def _clean(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


def read_text_file(path):
    """The non-empty lines of a UTF-8 text file, stripped.

    Raises:
        ValueError: the file is missing, a folder, empty, binary (it holds NUL bytes),
            not UTF-8, or holds only empty lines; the message says what was found.
    """
    if not os.path.exists(path):
        raise ValueError(f"No text file at {path!r}.")
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a folder; expected a UTF-8 text file, one sequence a line.")
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        raise ValueError(f"The text file {path!r} is empty (0 bytes).")
    nul = data.find(b"\0")
    if nul >= 0:
        raise ValueError(
            f"{path!r} looks binary: it holds NUL bytes (the first at byte {nul}); "
            "expected UTF-8 text, one sequence a line."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"{path!r} is not UTF-8: byte 0x{data[e.start]:02x} at offset {e.start} "
            "does not decode; expected UTF-8 text, one sequence a line."
        ) from None
    lines = _clean(text)
    if not lines:
        count = len(text.splitlines())
        raise ValueError(
            f"The text file {path!r} holds {count} line(s), all empty or "
            "whitespace; expected text, one sequence a line."
        )
    return lines


def _lm1b_lines(data_dir, max_lines):
    raw = tfds_load("lm1b", "train", data_dir, shuffle_files=False, seed=None, images=False)
    lines = []
    for example in raw.take(max_lines).as_numpy_iterator():
        text = example["text"].decode("utf-8", errors="replace").strip()
        if text:
            lines.append(text)
    if not lines:
        raise ValueError("The tfds dataset 'lm1b' holds no non-empty line.")
    return lines


@functools.lru_cache(maxsize=4)
def _lines(name, data_dir, max_lines):
    if name == "text":
        return tuple(_clean(_embedded_lines()))
    if name == "lm1b":
        return tuple(_lm1b_lines(data_dir, max_lines))
    return tuple(read_text_file(os.path.expanduser(name[len(FILE_PREFIX) :])))


def corpus_lines(name, data_dir=None, max_lines=LM1B_LINES):
    """The corpus's non-empty lines, stripped (not yet cut to the sequence length)."""
    if not is_text_dataset(name):
        raise ValueError(
            f"Invalid value for argument `name`. Received: name={name!r}. "
            f"Expected one of {list(TEXT_DATASETS) + [FILE_PREFIX + 'PATH']}."
        )
    return list(_lines(name, data_dir, int(max_lines)))


def sequences(lines, sequence_length=SEQUENCE_LENGTH):
    """Each line cut to its first `sequence_length` characters."""
    return [line[:sequence_length] for line in lines]


def build_vocabulary(lines, max_size=MAX_VOCABULARY):
    """[PAD, UNKNOWN, characters by decreasing count (ties in code-point order)].

    Example:
    >>> build_vocabulary(["abca"])
    ['', '\\ufffd', 'a', 'b', 'c']
    """
    counts = collections.Counter(c for line in lines for c in line)
    counts.pop(UNKNOWN, None)
    ranked = sorted(counts, key=lambda c: (-counts[c], c))
    return [PAD, UNKNOWN] + ranked[: max_size - 2]


def encode(lines, vocabulary, sequence_length=SEQUENCE_LENGTH):
    """Token ids [len(lines), sequence_length] (int32): unknown characters get index 1."""
    index = {c: i for i, c in enumerate(vocabulary) if i >= 2}
    tokens = np.zeros((len(lines), sequence_length), np.int32)
    for row, line in enumerate(lines):
        ids = [index.get(c, 1) for c in line[:sequence_length]]
        tokens[row, : len(ids)] = ids
    return tokens


def decode(tokens, vocabulary):
    """Strings of token ids [N, length] (or of distributions [N, length, V], by argmax);
    the padding decodes to "", so it vanishes."""
    tokens = np.asarray(tokens)
    if tokens.ndim == 3:
        tokens = tokens.argmax(axis=-1)
    table = np.array(vocabulary, dtype=object)
    return ["".join(row) for row in table[tokens]]


def text_info(name, data_dir=None, max_lines=LM1B_LINES, vocabulary=None):
    """{"shape": (32, V), "num_classes": None, "vocabulary": [...]} of a text dataset.

    The vocabulary is the corpus's unless one is given (a model's, when resuming).
    """
    lines = corpus_lines(name, data_dir, max_lines)
    check_corpus_size(name, len(lines))
    if vocabulary is None:
        vocabulary = build_vocabulary(sequences(lines))
    return {
        "shape": (SEQUENCE_LENGTH, len(vocabulary)),
        "num_classes": None,
        "vocabulary": list(vocabulary),
    }


def text_dataset(
    name,
    batch_size,
    n_critic,
    seed=None,
    start_step=0,
    vocabulary=None,
    one_hot=True,
    data_dir=None,
    max_lines=LM1B_LINES,
):
    """The training stream of a text dataset: batches of `batch_size` sequences, one
    critic update's (`WGAN.fit` reads `n_critic` of them per train step).

    Args:
        name: "text", "text:PATH" or "lm1b".
        batch_size: sequences per critic update.
        n_critic: critic updates per train step (each sees a fresh real batch).
        seed: the shuffle seed (0 when None).
        start_step: the train step the stream starts at: a resumed run reads exactly
            what an uninterrupted one reads from that step.
        vocabulary: the model's vocabulary; default the corpus's own.
        one_hot: yield one-hot float32 [batch_size, 32, V] (what the critic reads), or
            int32 token ids [batch_size, 32].
        data_dir: tensorflow-datasets data folder ("lm1b").
        max_lines: lines read from "lm1b".

    Example:
    >>> ds = text_dataset("text", batch_size=4, n_critic=5)
    >>> next(iter(ds)).shape[:2]
    TensorShape([4, 32])
    """
    batch_size = check_int("batch_size", batch_size, 1)
    n_critic = check_int("n_critic", n_critic, 1)
    lines = sequences(corpus_lines(name, data_dir, max_lines))
    if vocabulary is None:
        vocabulary = build_vocabulary(lines)
    tokens = tf.constant(encode(lines, vocabulary))
    depth = len(vocabulary)

    def read(_, index):
        batch = tf.gather(tokens, index)
        return tf.one_hot(batch, depth) if one_hot else batch

    positions = shuffled_positions(len(lines), batch_size * n_critic, seed or 0, start_step)
    return split_steps(positions.map(read, num_parallel_calls=tf.data.AUTOTUNE), batch_size)


def check_corpus_size(name, count):
    """Refuses a corpus of fewer than `MIN_LINES` lines, which cannot be scored.

    Samples are scored against the corpus less its held-out lines, and the baseline is
    the score of those held-out lines (`HELD_OUT_LINES`, or half a smaller corpus): both
    sets need a line. Checked where a run's data is resolved, so a run is refused before
    it trains rather than after, when it reports its scores.
    """
    if count < MIN_LINES:
        raise ValueError(
            f"The corpus {name!r} has {count} non-empty line(s); it needs at least "
            f"{MIN_LINES}: its scores hold out {HELD_OUT_LINES} lines (half of a smaller "
            "corpus) as the baseline and score samples against the others."
        )


def held_out_split(lines, held_out=HELD_OUT_LINES, seed=0):
    """(held-out lines, the rest): a fixed random `held_out` lines and the others
    (`held_out` or half the lines, whichever is fewer)."""
    check_corpus_size("lines", len(lines))
    order = np.random.default_rng(seed).permutation(len(lines))
    held = min(held_out, len(lines) // 2)
    return [lines[i] for i in order[:held]], [lines[i] for i in order[held:]]
