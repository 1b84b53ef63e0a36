"""The character-level language model: text data, scores, networks, training, export."""

import json
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_wgan
from keras_wgan import cli, losses
from keras_wgan import evaluation as metrics
from keras_wgan.architectures.language import build_language, vocabulary_of
from keras_wgan.datasets import text
from keras_wgan.runs import kinds as modalities

LINES = [
    "the cat sat on the mat",
    "a dog ran after the cat",
    "dogs and cats",
    "the end of the line is near",
    "x" * 40,
    "  indented line  ",
    "",
]


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(LINES * 5) + "\n", encoding="utf-8")
    return str(path)


# --- scores ----------------------------------------------------------------------------


def test_js_divergence_on_hand_computed_cases():
    assert metrics.ngram_js_divergence(["abc", "cab"], ["cab", "abc"], 2) == 0.0
    assert metrics.ngram_js_divergence(["aaaa"], ["bbbb"], 3) == 1.0
    # Unigrams with the padding: P = {a: 1/2, b: 1/2}, Q = {a: 1/2, pad: 1/2},
    # M = {a: 1/2, b: 1/4, pad: 1/4}: KL(P||M) = KL(Q||M) = 1/2 bit.
    assert metrics.ngram_js_divergence(["ab"], ["a"], 1) == pytest.approx(0.5)
    # P = {a: 1}, Q = {a: 1/2, b: 1/2}: 1/2 log2(4/3) + 1/4 log2(2/3) + 1/4 log2(2).
    expected = 0.5 * np.log2(4 / 3) + 0.25 * np.log2(2 / 3) + 0.25
    assert metrics.ngram_js_divergence(["aa"], ["ab"], 1) == pytest.approx(expected)
    # Token ids give what their strings give.
    tokens = np.array([[1, 2, 3, 0], [3, 1, 2, 2]])
    strings = ["abc", "cabb"]
    assert metrics.ngram_js_divergence(tokens, np.array([[1, 2, 2, 3]]), 2) == pytest.approx(
        metrics.ngram_js_divergence(strings, ["abbc"], 2, length=4)
    )
    with pytest.raises(ValueError, match="n"):
        metrics.ngram_js_divergence(["a"], ["a"], 0)


def test_words_in_corpus_and_text_scores():
    assert metrics.words_in_corpus(["The cat, sat", "tac"], ["the cat sat"]) == 0.75
    assert metrics.words_in_corpus(["(((", ""], ["the"]) == 0.0
    scores = metrics.text_scores(["the cat sat"] * 3, ["the cat sat"] * 5)
    assert scores == {"js1": 0.0, "js2": 0.0, "js3": 0.0, "js4": 0.0, "words_in_corpus": 1.0}


# --- data ------------------------------------------------------------------------------


def test_embedded_corpus_vocabulary_and_resumable_stream():
    lines = text.corpus_lines("text")
    assert len(lines) == 8716 and all(line == line.strip() and line for line in lines)
    info = text.text_info("text")
    vocab = info["vocabulary"]
    assert vocab[:2] == [text.PAD, text.UNKNOWN] and len(set(vocab)) == len(vocab)
    assert info["shape"] == (32, len(vocab)) and 90 < len(vocab) <= 105
    ds = text.text_dataset("text", batch_size=4, n_critic=3, seed=5)
    first = [x.numpy() for x in ds.take(12)]  # 4 steps of 3 critic batches
    assert first[0].shape == (4, 32, len(vocab))
    np.testing.assert_array_equal(first[0].sum(-1), 1.0)  # one-hot at every position
    resumed = next(iter(text.text_dataset("text", batch_size=4, n_critic=3, seed=5, start_step=3)))
    np.testing.assert_array_equal(resumed.numpy(), first[9])  # step 3's first batch
    ids = next(iter(text.text_dataset("text", 4, 3, seed=5, one_hot=False))).numpy()
    np.testing.assert_array_equal(ids, first[0].argmax(-1))
    decoded = text.decode(ids, vocab)
    assert all(line in set(text.sequences(lines)) for line in decoded)


def test_text_file_lines_are_stripped_cut_and_padded(corpus):
    lines = text.corpus_lines(f"text:{corpus}")
    assert set(lines) == {line.strip() for line in LINES if line.strip()}
    vocab = text.build_vocabulary(text.sequences(lines))
    tokens = text.encode(["cat" + "\u00e9", "x" * 40], vocab)
    assert tokens.shape == (2, 32) and tokens[0, 3] == 1 and (tokens[0, 4:] == 0).all()
    assert text.decode(tokens, vocab) == ["cat" + text.UNKNOWN, "x" * 32]


@pytest.mark.parametrize(
    "content, found",
    [
        (None, "No text file"),
        (b"", "empty"),
        (b"abc\0def\n", "NUL bytes"),
        (b"caf\xe9\n", "not UTF-8: byte 0xe9 at offset 3"),
        (b"\n   \n\t\n", "3 line(s), all empty"),
    ],
)
def test_bad_text_files_get_one_line_errors(tmp_path, capsys, content, found):
    path = tmp_path / "data.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(found)):
        text.read_text_file(str(path))
    out = str(tmp_path / "run")
    assert cli.main(["train", "--dataset", f"text:{path}", "--steps", "1", "--out", out]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and found.split(":")[0] in err[0]
    assert not os.path.exists(out)  # nothing half-written


def test_lm1b_through_tfds_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=30):
        lines = text.corpus_lines("lm1b", max_lines=20)
        assert 0 < len(lines) <= 20
        ds = text.text_dataset("lm1b", batch_size=2, n_critic=2, seed=0, max_lines=20)
        assert next(iter(ds)).shape[:2] == (2, 32)


# --- networks and training -------------------------------------------------------------


def _tiny(vocab=("", "?", "a", "b", " ", "c"), loss="wgan-gp", **kwargs):
    generator, critic = build_language(list(vocab), latent_dim=8, width=4, num_blocks=1)
    gan = keras_wgan.WGAN(generator, critic, loss=loss, seed=0, **kwargs)
    gan.compile()
    return gan


def test_language_networks_shapes_and_serialisation(tmp_path):
    gan = _tiny()
    assert gan.sample_shape == (None, 32, 6) and gan.critic.output_shape == (None, 1)
    probs = gan.generate(3, seed=0)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    # The paper's widths build too: five blocks of 512 channels.
    g, d = build_language(list("xyz"), width=512)
    assert len([la for la in g.layers if "conv" in la.name]) == 11
    assert d.get_layer("block5_conv2").kernel.shape == (5, 512, 512)
    path = str(tmp_path / "m.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert vocabulary_of(loaded.generator) == ["", "?", "a", "b", " ", "c"]
    z = np.random.default_rng(1).standard_normal((4, 8))
    np.testing.assert_allclose(loaded.generate(z), gan.generate(z), rtol=1e-6)
    assert modalities.for_model(loaded) is modalities.TEXT


def test_penalty_on_one_hot_inputs_takes_the_norm_over_positions_and_characters():
    # A linear critic D(x) = <W, x>: its gradient is W for every input, so the penalty's
    # norm is ||W|| over both axes, whatever the one-hot or softmax input.
    generator, _ = build_language(list("abcd"), latent_dim=8, width=4, num_blocks=1)
    critic = keras.Sequential(
        [keras.Input((32, 4)), keras.layers.Flatten(), keras.layers.Dense(1, use_bias=False)]
    )
    gan = keras_wgan.WGAN(generator, critic, n_critic=1, seed=0)
    gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))
    real = tf.one_hot(np.random.default_rng(0).integers(4, size=(8, 32)), 4)
    logs = gan.critic_update(real)
    w = critic.layers[-1].kernel.numpy()
    norm = np.sqrt((w**2).sum())
    assert float(logs["grad_norm"]) == pytest.approx(norm, rel=1e-4)
    assert float(logs["gradient_penalty"]) == pytest.approx((norm - 1) ** 2, rel=1e-3)


@pytest.mark.parametrize(
    "loss",
    [
        pytest.param(name, marks=pytest.mark.slow) if name == "dragan" else name
        for name in sorted(losses.LOSSES)
    ],
)
def test_every_loss_trains_the_language_model(loss):
    gan = _tiny(loss=loss, n_critic=2)
    real = tf.one_hot(np.random.default_rng(0).integers(6, size=(32, 32)), 6)
    history = gan.fit(
        tf.data.Dataset.from_tensors(real).repeat(), steps_per_epoch=2, epochs=1, verbose=0
    )
    assert gan.generator_step() == 2
    assert all(np.isfinite(v[-1]) for v in history.history.values())


JAX_SCRIPT = r"""
import json, sys
import numpy as np
import keras
import keras_wgan
from keras_wgan.architectures.language import build_language

inputs, out = sys.argv[1], sys.argv[2]
given = dict(np.load(inputs))
g, d = build_language(["", "?", "a", "b"], latent_dim=8, width=4, num_blocks=1)
gan = keras_wgan.WGAN(g, d, n_critic=2, seed=0)
gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
gan.set_weights([given[f"w{i}"] for i in range(len(gan.get_weights()))])
logs = {k: float(v) for k, v in gan.critic_update(given["real"], fake=given["fake"],
                                                  alpha=given["alpha"]).items()}
logs.update({k: float(v) for k, v in gan.generator_update(8, z=given["z"]).items()})
np.savez(out + ".npz", *gan.get_weights())
json.dump({"logs": logs, "backend": keras.backend.backend()}, open(out + ".json", "w"))
"""


@pytest.mark.slow
def test_jax_and_tensorflow_trainers_agree_on_the_language_model(tmp_path):
    pytest.importorskip("jax")
    from helpers import run_on_backend

    g, d = build_language(["", "?", "a", "b"], latent_dim=8, width=4, num_blocks=1)
    rng = np.random.default_rng(0)
    given = {f"w{i}": w for i, w in enumerate(g.get_weights() + d.get_weights())}
    real = np.eye(4, dtype="float32")[rng.integers(4, size=(8, 32))]
    fake = rng.dirichlet(np.ones(4), size=(8, 32)).astype("float32")
    given.update(
        real=real,
        fake=fake,
        alpha=rng.uniform(size=8).astype("float32"),
        z=rng.standard_normal((8, 8)).astype("float32"),
    )
    np.savez(tmp_path / "in.npz", **given)
    jax_meta, jax_w = run_on_backend(
        "jax", JAX_SCRIPT, str(tmp_path / "in.npz"), str(tmp_path / "jax")
    )
    # The TensorFlow side runs the same script in this process (its backend).
    argv, sys.argv = sys.argv, ["-c", str(tmp_path / "in.npz"), str(tmp_path / "tf")]
    try:
        exec(compile(JAX_SCRIPT, "JAX_SCRIPT", "exec"), {})
    finally:
        sys.argv = argv
    with open(tmp_path / "tf.json") as f:
        tf_meta = json.load(f)
    tf_w = list(np.load(tmp_path / "tf.npz").values())
    assert tf_meta["backend"] == "tensorflow"
    assert jax_meta["backend"] == "jax"
    for key, value in tf_meta["logs"].items():
        assert jax_meta["logs"][key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
    for a, b in zip(tf_w, jax_w):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


# --- callbacks, command line, export ---------------------------------------------------


def test_text_samples_and_evaluation_callbacks(corpus, tmp_path):
    from keras_wgan.callbacks import Evaluation, TextSamples

    name = f"text:{corpus}"
    vocab = text.text_info(name)["vocabulary"]
    gan = _tiny(vocab)
    ds = text.text_dataset(name, batch_size=8, n_critic=gan.n_critic, seed=0, vocabulary=vocab)
    log_dir = str(tmp_path / "logs")
    samples = TextSamples(
        str(tmp_path / "samples"), num_samples=5, every_n_steps=2, log_dir=log_dir
    )
    evaluation = Evaluation(name, every_n_steps=2, num_samples=20)
    history = gan.fit(ds, steps_per_epoch=2, epochs=2, verbose=0, callbacks=[samples, evaluation])
    assert [os.path.basename(p) for p in samples.paths] == [
        "samples_0000002.txt",
        "samples_0000004.txt",
    ]
    with open(samples.paths[-1], encoding="utf-8") as f:
        assert len(f.read().splitlines()) == 5
    for key in ("eval_js1", "eval_js4", "eval_words_in_corpus"):
        assert 0.0 <= history.history[key][-1] <= 1.0
    events = tf.compat.v1.train.summary_iterator(
        os.path.join(log_dir, "train", os.listdir(os.path.join(log_dir, "train"))[0])
    )
    tags = {v.tag for e in events for v in e.summary.value}
    assert "samples" in tags


LOAD_TEXT_EXPORT = r"""
import json, sys
import numpy as np
import tensorflow as tf
m = tf.saved_model.load(sys.argv[1])
z = np.load(sys.argv[2])
out = m.signatures["serving_default"](z=tf.constant(z))
seeded = m.signatures["generate_from_seed"](seed=tf.constant(3, tf.int64),
                                            num_samples=tf.constant(4))
assert out["tokens"].dtype == tf.int32 and out["text"].dtype == tf.string
json.dump({"text": [t.decode("utf-8") for t in out["text"].numpy()],
           "tokens": out["tokens"].numpy().tolist(), "seeded": seeded["tokens"].shape.as_list(),
           "keras_wgan": "keras_wgan" in sys.modules}, open(sys.argv[3], "w"))
"""


@pytest.mark.slow  # about 30 s; the default run trains text through the callbacks' test
def test_cli_trains_samples_evaluates_and_exports_text(corpus, tmp_path, capsys):
    out = str(tmp_path / "run")
    args = [
        "train",
        "--dataset",
        f"text:{corpus}",
        "--steps",
        "2",
        "--out",
        out,
        "--width",
        "4",
        "--batch-size",
        "8",
        "--steps-per-epoch",
        "1",
    ]
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "js4" in printed and "Words found in the corpus" in printed
    assert os.path.isfile(os.path.join(out, "samples.txt"))
    assert os.listdir(os.path.join(out, "samples"))
    export = os.path.join(out, "export", "1")
    # The export alone (TensorFlow, no keras_wgan) decodes to the strings `sample` writes.
    gan = keras.saving.load_model(os.path.join(out, "checkpoint.keras"))
    z = np.random.default_rng(0).standard_normal((6, 128)).astype("float32")
    np.save(tmp_path / "z.npy", z)
    subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD_TEXT_EXPORT,
            export,
            str(tmp_path / "z.npy"),
            str(tmp_path / "out.json"),
        ],
        check=True,
        cwd=str(tmp_path),
    )
    with open(tmp_path / "out.json") as f:
        served = json.load(f)
    assert not served["keras_wgan"] and served["seeded"] == [4, 32]
    decoded = modalities.TEXT.decode(gan, gan.generate(z))
    assert served["text"] == list(decoded["text"])
    np.testing.assert_array_equal(served["tokens"], decoded["tokens"])
    for model in (export, out):
        path = str(tmp_path / f"samples_{len(os.listdir(tmp_path))}.txt")
        assert cli.main(["sample", "--model", model, "--num", "5", "--out", path]) == 0
        with open(path, encoding="utf-8") as f:
            written = f.read().splitlines()
        assert len(written) == 5 and all(len(line) <= 32 for line in written)
    first, second = sorted(p for p in os.listdir(tmp_path) if p.startswith("samples_"))
    assert (tmp_path / first).read_text() == (tmp_path / second).read_text()
    capsys.readouterr()
    assert (
        cli.main(
            ["evaluate", "--model", export, "--dataset", f"text:{corpus}", "--num-samples", "50"]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert all(f"js{n}:" in printed for n in range(1, 5)) and "words_in_corpus" in printed
    assert cli.main(["evaluate", "--model", export, "--dataset", "8gaussians"]) == 1
    assert "generates text" in capsys.readouterr().err


def test_each_kind_of_data_is_one_modality():
    assert modalities.for_dataset("8gaussians") is modalities.POINTS
    assert modalities.for_dataset("folder:pictures") is modalities.IMAGES
    assert modalities.for_dataset("digits") is modalities.IMAGES
    for name in ("text", "lm1b", "text:corpus.txt"):
        assert modalities.for_dataset(name) is modalities.TEXT
    with pytest.raises(ValueError, match="text:PATH"):
        modalities.for_dataset("novels")
    # The trainers never ask which kind of data they train on.
    import keras_wgan.trainers.jax as jax_trainer
    import keras_wgan.trainers.tensorflow as tf_trainer

    for module in (jax_trainer, tf_trainer):
        with open(module.__file__) as f:
            assert "modalities" not in f.read()
