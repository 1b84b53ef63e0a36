"""What a run does differently for each kind of data: 2-D points, images and text.

Each kind knows what a run needs of it and nothing else: what the data fixes in the
settings, which networks a recipe builds, the arguments the data is loaded with for a
model, the callbacks that show samples during training, how samples are decoded and
written to a file, and what `keras-wgan train` prints at the end. Which kind a dataset or
a model is comes from `keras_wgan.datasets.kind` and `keras_wgan.architectures.kinds`;
the scores come from `keras_wgan.evaluation`, the export's outputs from `keras_wgan.export`.
"""

import os

import numpy as np

from keras_wgan import callbacks, datasets, models
from keras_wgan.architectures import build as build_image_networks
from keras_wgan.architectures.improved import coupling_layers
from keras_wgan.architectures.kinds import model_kind
from keras_wgan.architectures.language import build_language, vocabulary_of
from keras_wgan.datasets.text import decode as decode_text
from keras_wgan.evaluation import (
    OFFLINE_SCORES,
    mode_coverage,
    nearest_real_distance,
    offline_score,
    text_reference,
    text_scores,
)
from keras_wgan.utils import plotting
from keras_wgan.utils.files import write_atomically
from keras_wgan.utils.memory import check_fits
from keras_wgan.utils.validation import check_int, invalid

#: The side, in pixels, that `Images.write` enlarges each image of a .png grid to by default.
IMAGE_SIDE = 64


def _save_npy(path, array):
    write_atomically(path, lambda tmp: np.save(tmp, array))


def _save_lines(path, lines):
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(f"{line}\n" for line in lines)

    write_atomically(path, write)


class Kind:
    """What a run needs from one kind of data."""

    name = None
    #: The file suffixes `write` takes.
    suffixes = (".npy",)

    def with_data(self, settings, dataset, info):
        """Resolved settings plus what the data fixes (shapes, classes, vocabulary)."""
        return settings

    def build_networks(self, settings):
        """(generator, critic, num_classes) from resolved settings."""
        raise NotImplementedError

    def load_kwargs(self, gan, settings, data_dir=None):
        """The arguments of `datasets.load` that the model fixes (image size, labels,
        vocabulary)."""
        return {}

    def training_callbacks(self, gan, out, log_dir, every_n_steps, seed):
        """Callbacks that show the samples during training."""
        return []

    def decode(self, gan, samples):
        """{name: NumPy array}: the generator's `samples` plus what scoring and writing
        them need (text: the export's `tokens` and `text`)."""
        return {"samples": samples}

    def scored(self, outputs):
        """What `evaluation.evaluate_samples` scores from a model's outputs (`decode`'s
        dict, or an export's outputs)."""
        return outputs["samples"]

    def takes_scale(self, path):
        """Whether `write` enlarges the file at `path` (a .png grid of images), and so takes
        its `scale`."""
        return False

    def write(self, path, outputs, scale=None):
        """Writes samples (`decode`'s dict) to a file whose suffix the kind supports.

        Every kind writes atomically (`keras_wgan.utils.files.write_atomically`): a
        failed write (a full disk) keeps the file that was there.

        Args:
            path: the file; its suffix is one of `suffixes`.
            outputs: `decode`'s dict, or an export's outputs.
            scale: how many times a .png grid of images is enlarged (nearest neighbour),
                an integer >= 1; None for the kind's default. Refused where
                `takes_scale(path)` is false.

        Returns:
            For a .png grid of images, its layout: a dict of `rows`, `columns`, `width`
            and `height` (pixels); else None.
        """
        if scale is not None and not self.takes_scale(path):
            raise invalid("scale", scale, f"None: only a .png of images is enlarged, not {path!r}")
        return self._write(path, outputs, scale)

    def _write(self, path, outputs, scale):
        if path.endswith(".npy"):
            _save_npy(path, outputs["samples"])
            return None
        raise ValueError(
            f"Invalid value for argument `path`. Received: path={path!r}. "
            f"Expected a {' or '.join(self.suffixes)} file."
        )

    def report(self, gan, dataset, out, seed, title, data_dir=None):
        """What `keras-wgan train` prints (and draws, atomically) at the end of a run."""


class Points(Kind):
    """2-D toy points: "8gaussians", "25gaussians", "swissroll"."""

    name = "points"
    suffixes = (".npy", ".png")

    def with_data(self, settings, dataset, info):
        return dict(settings, toy=True)

    def build_networks(self, settings):
        depth = settings.get("depth", 3)
        return (
            models.toy_generator(settings["latent_dim"], width=settings["width"], depth=depth),
            models.toy_critic(width=settings["width"], depth=depth),
            None,
        )

    def _write(self, path, outputs, scale):
        if path.endswith(".png"):
            plotting.plot_points(path, outputs["samples"])
            return None
        return super()._write(path, outputs, scale)

    def report(self, gan, dataset, out, seed, title, data_dir=None):
        real = datasets.sample_toy(dataset, 1000, rng=seed)
        fake = gan.generate(1000, seed=seed)
        figure = os.path.join(out, "samples.png")
        # A minibatch-discrimination critic scores a point against the rest of its batch,
        # in inference too: it has no value surface to draw.
        coupled = any(
            name.endswith("(MinibatchDiscrimination)") for name in coupling_layers(gan.critic)
        )
        plotting.plot_points(
            figure,
            real,
            fake,
            title=title,
            critic=None if coupled else lambda p: gan.critic(p, training=False),
        )
        print(f"Wrote {figure}")
        samples = gan.generate(10000, seed=seed + 1)
        distance = nearest_real_distance(samples, dataset)
        print(
            f"Mean distance to the nearest real point: {distance['fake_to_real']:.4f} "
            f"(real points: {distance['real_to_real']:.4f}; ratio "
            f"{distance['distance_ratio']:.2f})"
        )
        if dataset != "swissroll":
            for n_std in (3, 6):
                cover = mode_coverage(samples, dataset, n_std=n_std)
                print(
                    f"Within {n_std} std of a mode: {cover['high_quality']:.1%} of samples; "
                    f"modes holding at least a fifth of their share: "
                    f"{cover['modes_covered']}/{cover['num_modes']}"
                )


class Images(Kind):
    """Images in [-1, 1], NHWC: "digits", "mnist", "mnist-full", "cifar10", "lsun-bedroom",
    "folder:PATH"."""

    name = "images"
    suffixes = (".npy", ".png")

    def with_data(self, settings, dataset, info):
        if settings["conditional"] and not info["num_classes"]:
            raise ValueError(
                f"`conditional=True` needs a dataset with labels; {dataset!r} has none."
            )
        return dict(
            settings,
            toy=False,
            image_shape=info["shape"],
            num_classes=info["num_classes"] if settings["conditional"] else None,
        )

    def build_networks(self, settings):
        num_classes = settings.get("num_classes")
        generator, critic = build_image_networks(
            settings["arch"],
            tuple(settings["image_shape"]),
            latent_dim=settings["latent_dim"],
            width=settings["width"],
            num_classes=num_classes,
            loss=settings["model"]["loss"],  # the critic's normalisation follows the method
        )
        return generator, critic, num_classes

    def load_kwargs(self, gan, settings, data_dir=None):
        return dict(
            image_size=gan.sample_shape[1],
            with_labels=bool(gan.num_classes),
            data_dir=data_dir,
            dequantize=settings["dequantize"],
        )

    def training_callbacks(self, gan, out, log_dir, every_n_steps, seed):
        return [
            callbacks.SampleGrid(
                os.path.join(out, "samples"),
                every_n_steps=every_n_steps,
                seed=seed,
                scale=max(1, 128 // gan.sample_shape[1]),
            ),
            callbacks.TensorBoardSamples(log_dir, every_n_steps=min(100, every_n_steps), seed=seed),
        ]

    def takes_scale(self, path):
        return path.endswith(".png")

    def _write(self, path, outputs, scale):
        if not path.endswith(".png"):
            return super()._write(path, outputs, scale)
        samples = np.asarray(outputs["samples"])
        num, image_height, image_width, channels = samples.shape
        if scale is None:  # each image about IMAGE_SIDE pixels on its longer side
            scale = max(1, IMAGE_SIDE // max(image_height, image_width))
        scale = check_int("scale", scale, 1)
        rows = max(1, int(np.sqrt(num)))
        columns = -(-num // rows)
        # The picture plotting.image_grid makes (1-pixel gaps), enlarged: refused before
        # it is drawn if it cannot fit in memory.
        height = scale * (rows * (image_height + 1) - 1)
        width = scale * (columns * (image_width + 1) - 1)
        what = (
            f"a {columns}x{rows} grid of {image_width}x{image_height} images enlarged {scale} times"
        )
        check_fits([(width * height * channels, {"scale": scale}, what)])
        width, height = plotting.save_image_grid(path, samples, rows, scale=scale)
        return {"rows": rows, "columns": columns, "width": width, "height": height}

    def report(self, gan, dataset, out, seed, title, data_dir=None):
        figure = os.path.join(out, "samples.png")
        rows = gan.num_classes or 8
        labels = None
        if gan.num_classes:
            labels = [c for c in range(gan.num_classes) for _ in range(10)]
        images = gan.generate(len(labels) if labels else 64, labels=labels, seed=seed)
        plotting.save_image_grid(figure, images, rows, scale=max(1, 128 // gan.sample_shape[1]))
        print(f"Wrote {figure}")
        if dataset in OFFLINE_SCORES:
            # Scored at the classifier's size (8x8 digits, 32x32 MNIST) also when trained
            # at another image size; a conditional model gets its classes in equal
            # shares and is scored on following them.
            labels = np.arange(5000) % gan.num_classes if gan.num_classes else None
            score = offline_score(
                dataset, gan.generate(5000, labels=labels, seed=seed + 1), labels=labels
            )
            what = "Digits" if dataset == "digits" else "MNIST"
            print(
                f"{what} quality: Inception-Score analogue {score['inception_score']:.2f} / 10 "
                f"(+- {score['inception_score_std']:.2f}), Frechet distance "
                f"{score['frechet_distance']:.3f}, classes {list(score['class_counts'])}"
            )
            if labels is not None:
                print(
                    f"Label accuracy: {score['label_accuracy']:.1%} of the samples are of "
                    f"the class asked for (by the {dataset} classifier)"
                )


class Text(Kind):
    """Character sequences: "text" (embedded), "text:PATH", "lm1b".

    A sample is the generator's softmax over the characters at each of 32 positions;
    decoding takes the argmax, and the vocabulary rides in the generator's last layer
    (`keras_wgan.layers.CharacterSoftmax`). Scores are the paper's character n-gram
    Jensen-Shannon divergences (js1..js4, bits) to the corpus and the share of the
    samples' words found in it.
    """

    name = "text"
    suffixes = (".txt", ".npy")

    def with_data(self, settings, dataset, info):
        if settings["conditional"]:
            raise ValueError(
                f"`conditional=True` needs a dataset with labels; {dataset!r} has none."
            )
        return dict(
            settings,
            toy=False,
            sequence_length=info["shape"][0],
            vocabulary=info["vocabulary"],
            num_classes=None,
        )

    def build_networks(self, settings):
        generator, critic = build_language(
            settings["vocabulary"],
            sequence_length=settings["sequence_length"],
            latent_dim=settings["latent_dim"],
            width=settings["width"],
            num_blocks=settings.get("num_blocks", 5),
        )
        return generator, critic, None

    def load_kwargs(self, gan, settings, data_dir=None):
        return dict(vocabulary=vocabulary_of(gan.generator), data_dir=data_dir)

    def training_callbacks(self, gan, out, log_dir, every_n_steps, seed):
        folder = os.path.join(out, "samples")
        every = dict(every_n_steps=every_n_steps, seed=seed)
        return [callbacks.TextSamples(folder, log_dir=log_dir, **every)]

    def decode(self, gan, samples):
        tokens = np.asarray(samples).argmax(axis=-1).astype(np.int32)
        return {
            "samples": samples,
            "tokens": tokens,
            "text": np.array(decode_text(tokens, vocabulary_of(gan.generator)), dtype=object),
        }

    def scored(self, outputs):
        return [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in outputs["text"]]

    def _write(self, path, outputs, scale):
        if path.endswith(".txt"):
            _save_lines(path, self.scored(outputs))
            return None
        if path.endswith(".npy"):
            _save_npy(path, np.asarray(outputs["tokens"]))
            return None
        return super()._write(path, outputs, scale)

    def report(self, gan, dataset, out, seed, title, data_dir=None):
        text = self.scored(self.decode(gan, gan.generate(640, seed=seed + 1)))
        path = os.path.join(out, "samples.txt")
        _save_lines(path, text)
        print(f"Wrote {path}; the first samples:")
        for line in text[:8]:
            print(f"  {line}")
        reference = text_reference(dataset, data_dir=data_dir)
        scores = text_scores(text, reference["lines"])
        baseline = reference["baseline"]
        print(
            "Character n-gram Jensen-Shannon divergence to the corpus (bits, 640 samples): "
            + ", ".join(f"js{n} {scores[f'js{n}']:.3f}" for n in range(1, 5))
            + "; held-out real lines: "
            + ", ".join(f"js{n} {baseline[f'js{n}']:.3f}" for n in range(1, 5))
        )
        print(
            f"Words found in the corpus: {scores['words_in_corpus']:.1%} "
            f"(held-out real lines: {baseline['words_in_corpus']:.1%})"
        )


POINTS, IMAGES, TEXT = Points(), Images(), Text()
KINDS = {kind.name: kind for kind in (POINTS, IMAGES, TEXT)}


def for_dataset(name):
    """The kind of a dataset name; a ValueError names the datasets that exist."""
    return KINDS[datasets.kind(name)]


def for_model(gan):
    """The kind of data a `WGAN` generates."""
    return KINDS[model_kind(gan)]


def for_outputs(outputs):
    """The kind of an export's outputs (a dict of arrays)."""
    if "text" in outputs:
        return TEXT
    return IMAGES if np.ndim(outputs["samples"]) == 4 else POINTS
