"""The kinds of data a WGAN here learns: 2-D points, images and text.

Each kind is one object that knows its data end to end: which dataset names are its own,
how their training stream is loaded, which networks a recipe builds for it, how samples
are decoded, what an export returns besides `samples`, how samples are scored, written and
watched during training, and what `keras-wgan train` prints at the end. The command line,
`keras_wgan.runs`, the export and the evaluation ask `for_dataset(name)` or
`for_model(gan)` instead of looking at a sample's rank; the trainers never need to know.
"""

import os

import numpy as np


class Modality:
    """What one kind of data needs from the rest of the package."""

    kind = None

    # --- datasets ---------------------------------------------------------------------
    def owns_dataset(self, name):
        raise NotImplementedError

    def owns_model(self, gan):
        raise NotImplementedError

    def info(self, name, **kwargs):
        """{"kind", "shape": one example's shape, "num_classes", ...} of a dataset."""
        raise NotImplementedError

    def load(self, name, batch_size, n_critic, seed=None, start_step=0, **kwargs):
        """The training stream: each element holds `n_critic * batch_size` examples."""
        raise NotImplementedError

    # --- runs -------------------------------------------------------------------------
    def with_data(self, settings, dataset, info):
        """Resolved settings plus what the data fixes (shapes, classes, vocabulary)."""
        return settings

    def build_networks(self, settings):
        """(generator, critic, num_classes) from resolved settings."""
        raise NotImplementedError

    def load_kwargs(self, gan, settings, data_dir=None):
        """The arguments of `load` that the model fixes (image size, labels, vocabulary)."""
        return {}

    def training_callbacks(self, gan, out, log_dir, every_n_steps, seed):
        """Callbacks that show the samples during training."""
        return []

    # --- samples ----------------------------------------------------------------------
    def decode(self, gan, samples):
        """{name: NumPy array}: the generator's `samples` plus what scoring and writing
        them need (text: the export's `tokens` and `text`)."""
        return {"samples": samples}

    def export_outputs(self, gan):
        """A graph function from the generator's output to the export's outputs."""
        import tensorflow as tf

        return lambda samples: {"samples": tf.cast(samples, tf.float32)}

    def scored(self, outputs):
        """What `evaluate_samples` scores from a model's outputs (`decode`'s dict)."""
        return outputs["samples"]

    def write(self, path, outputs):
        """Writes samples (`decode`'s dict) to a file whose suffix the kind supports."""
        if path.endswith(".npy"):
            np.save(path, outputs["samples"])
            return
        raise ValueError(f"Invalid value for --out: {path!r}. Expected a "
                         f"{' or '.join(self.suffixes)} file.")

    suffixes = (".npy",)

    # --- scores -----------------------------------------------------------------------
    def scores(self, samples, dataset, **kwargs):
        raise NotImplementedError

    def report(self, gan, dataset, out, seed, title, data_dir=None):
        """What `keras-wgan train` prints (and draws) at the end of a run."""


class Points(Modality):
    """2-D toy points: "8gaussians", "25gaussians", "swissroll"."""

    kind = "points"
    suffixes = (".npy", ".png")

    def owns_dataset(self, name):
        from keras_wgan.datasets.toy import TOY_DATASETS

        return name in TOY_DATASETS

    def owns_model(self, gan):
        return len(gan.sample_shape) == 2

    def info(self, name, **kwargs):
        return {"kind": "points", "shape": (2,), "num_classes": None}

    def load(self, name, batch_size, n_critic, seed=None, start_step=0, **kwargs):
        from keras_wgan.datasets.toy import toy_dataset

        if kwargs:
            raise ValueError(f"The toy dataset {name!r} takes no {sorted(kwargs)}.")
        return toy_dataset(name, batch_size, n_critic, seed=seed, start_step=start_step)

    def with_data(self, settings, dataset, info):
        return dict(settings, toy=True)

    def build_networks(self, settings):
        from keras_wgan import models

        depth = settings.get("depth", 3)
        return (models.toy_generator(settings["latent_dim"], width=settings["width"], depth=depth),
                models.toy_critic(width=settings["width"], depth=depth), None)

    def write(self, path, outputs):
        if path.endswith(".png"):
            from keras_wgan.utils import plotting

            plotting.plot_points(path, outputs["samples"])
            return
        super().write(path, outputs)

    def scores(self, samples, dataset, wasserstein=False, wasserstein_samples=2000, **kwargs):
        """`distance_ratio`, and `high_quality`, `modes_covered` (the mixtures); with
        `wasserstein=True` also the exact W1 distance (`metrics.wasserstein_distance`)
        between `wasserstein_samples` of the samples and as many fresh real points."""
        from keras_wgan import datasets

        samples = np.asarray(samples)
        scores = {"distance_ratio": datasets.nearest_real_distance(samples, dataset)["distance_ratio"]}
        if wasserstein:
            from keras_wgan.metrics import wasserstein_distance

            n = min(len(samples), wasserstein_samples)
            real = datasets.sample_toy(dataset, n, rng=12345)
            scores["wasserstein_distance"] = wasserstein_distance(samples[:n], real)
        if dataset != "swissroll":
            cover = datasets.mode_coverage(samples, dataset, n_std=3)
            scores.update(high_quality=float(cover["high_quality"]),
                          modes_covered=float(cover["modes_covered"]))
        return scores

    def report(self, gan, dataset, out, seed, title, data_dir=None):
        from keras_wgan import datasets
        from keras_wgan.utils import plotting

        real = datasets.sample_toy(dataset, 1000, rng=seed)
        fake = gan.generate(1000, seed=seed)
        from keras_wgan.architectures.improved import MinibatchDiscrimination

        figure = os.path.join(out, "samples.png")
        # A minibatch-discrimination critic scores a point against the rest of its batch,
        # in inference too: it has no value surface to draw.
        coupled = any(isinstance(layer, MinibatchDiscrimination)
                      for layer in gan.critic._flatten_layers(include_self=False, recursive=True))
        plotting.plot_points(figure, real, fake, title=title, critic=None if coupled else
                             lambda p: gan._critic_outputs(p, training=False)[0])
        print(f"Wrote {figure}")
        samples = gan.generate(10000, seed=seed + 1)
        distance = datasets.nearest_real_distance(samples, dataset)
        print(f"Mean distance to the nearest real point: {distance['fake_to_real']:.4f} "
              f"(real points: {distance['real_to_real']:.4f}; ratio "
              f"{distance['distance_ratio']:.2f})")
        if dataset != "swissroll":
            for n_std in (3, 6):
                cover = datasets.mode_coverage(samples, dataset, n_std=n_std)
                print(f"Within {n_std} std of a mode: {cover['high_quality']:.1%} of samples; "
                      f"modes holding at least a fifth of their share: "
                      f"{cover['modes_covered']}/{cover['num_modes']}")


class Images(Modality):
    """Images in [-1, 1], NHWC: "digits", "mnist", "mnist-full", "cifar10", "lsun-bedroom",
    "folder:PATH"."""

    kind = "images"
    suffixes = (".npy", ".png")

    def owns_dataset(self, name):
        from keras_wgan.datasets.images import is_image_dataset

        return is_image_dataset(name)

    def owns_model(self, gan):
        return len(gan.sample_shape) == 4

    def info(self, name, image_size=None, channels=None, **kwargs):
        from keras_wgan.datasets.images import image_info

        return dict(image_info(name, image_size=image_size, channels=channels), kind="images")

    def load(self, name, batch_size, n_critic, seed=None, start_step=0, **kwargs):
        from keras_wgan.datasets.images import training_dataset

        return training_dataset(name, batch_size, n_critic, seed=seed, start_step=start_step,
                                **kwargs)

    def with_data(self, settings, dataset, info):
        if settings["conditional"] and not info["num_classes"]:
            raise ValueError(f"--conditional needs a dataset with labels; {dataset!r} has none.")
        return dict(settings, toy=False, image_shape=info["shape"],
                    num_classes=info["num_classes"] if settings["conditional"] else None)

    def build_networks(self, settings):
        from keras_wgan import architectures

        num_classes = settings.get("num_classes")
        generator, critic = architectures.build(
            settings["arch"], tuple(settings["image_shape"]), latent_dim=settings["latent_dim"],
            width=settings["width"], num_classes=num_classes,
            loss=settings["model"]["loss"],  # the critic's normalisation follows the method
        )
        return generator, critic, num_classes

    def load_kwargs(self, gan, settings, data_dir=None):
        return dict(image_size=gan.sample_shape[1], with_labels=bool(gan.num_classes),
                    data_dir=data_dir, dequantize=settings["dequantize"])

    def training_callbacks(self, gan, out, log_dir, every_n_steps, seed):
        from keras_wgan import callbacks

        return [
            callbacks.SampleGrid(os.path.join(out, "samples"), every_n_steps=every_n_steps,
                                 seed=seed, scale=max(1, 128 // gan.sample_shape[1])),
            callbacks.TensorBoardSamples(log_dir, every_n_steps=min(100, every_n_steps),
                                         seed=seed),
        ]

    def export_outputs(self, gan):
        import tensorflow as tf

        def outputs(samples):
            samples = tf.cast(samples, tf.float32)
            scaled = tf.round((tf.clip_by_value(samples, -1.0, 1.0) + 1.0) * 127.5)
            return {"samples": samples, "images_uint8": tf.cast(scaled, tf.uint8)}

        return outputs

    def write(self, path, outputs):
        if path.endswith(".png"):
            from keras_wgan.utils import plotting

            samples = outputs["samples"]
            plotting.save_image_grid(path, samples, rows=max(1, int(np.sqrt(len(samples)))))
            return
        super().write(path, outputs)

    def scores(self, samples, dataset, network=None, reference_examples=50_000, splits=10,
               labels=None, **image_kwargs):
        samples = np.asarray(samples)
        if dataset in OFFLINE_SCORES:
            prefix = OFFLINE_SCORES[dataset]
            score = offline_score(dataset, samples, splits=splits, labels=labels)
            result = {f"{prefix}_score": float(score["inception_score"]),
                      f"{prefix}_score_std": float(score["inception_score_std"]),
                      f"{prefix}_frechet": float(score["frechet_distance"])}
            if labels is not None:
                result["label_accuracy"] = float(score["label_accuracy"])
            return result
        from keras_wgan import inception

        reference = inception.reference_statistics(dataset, reference_examples, network=network,
                                                   **image_kwargs)
        scores = inception.image_scores(samples, reference, splits=splits, network=network)
        return {k: float(v) for k, v in scores.items()}

    def report(self, gan, dataset, out, seed, title, data_dir=None):
        from keras_wgan.utils import plotting

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
            # at another --image-size; a conditional model gets its classes in equal
            # shares and is scored on following them.
            labels = np.arange(5000) % gan.num_classes if gan.num_classes else None
            score = offline_score(dataset, gan.generate(5000, labels=labels, seed=seed + 1),
                                  labels=labels)
            what = "Digits" if dataset == "digits" else "MNIST"
            print(f"{what} quality: Inception-Score analogue {score['inception_score']:.2f} / 10 "
                  f"(+- {score['inception_score_std']:.2f}), Frechet distance "
                  f"{score['frechet_distance']:.3f}, classes {list(score['class_counts'])}")
            if labels is not None:
                print(f"Label accuracy: {score['label_accuracy']:.1%} of the samples are of "
                      f"the class asked for (by the {dataset} classifier)")


#: The image datasets with an offline classifier score, and the prefix of its metrics.
OFFLINE_SCORES = {"digits": "digits", "mnist": "mnist", "mnist-full": "mnist"}


def offline_score(dataset, images, splits=10, labels=None):
    """The offline classifier score of images of "digits" (8x8) or MNIST (32x32)."""
    if dataset == "digits":
        from keras_wgan.digits_score import digits_score

        return digits_score(as_digits(images), splits=splits, labels=labels)
    from keras_wgan.mnist_score import mnist_score

    return mnist_score(images, splits=splits, labels=labels)


def as_digits(images):
    """Images in [-1, 1] as the digits classifier takes them: 8x8 (area resize), gray."""
    images = np.asarray(images)
    if images.shape[1:3] != (8, 8):
        import tensorflow as tf

        images = tf.clip_by_value(tf.image.resize(images, (8, 8), method="area"), -1, 1).numpy()
    if images.shape[-1] == 3:
        images = images.mean(axis=-1, keepdims=True)
    return images


class Text(Modality):
    """Character sequences: "text" (embedded), "text:PATH", "lm1b".

    A sample is the generator's softmax over the characters at each of 32 positions;
    decoding takes the argmax, and the vocabulary rides in the generator's last layer
    (`architectures.language.CharacterSoftmax`). Scores are the paper's character n-gram
    Jensen-Shannon divergences (js1..js4, bits) to the corpus and the share of the
    samples' words found in it.
    """

    kind = "text"
    suffixes = (".txt", ".npy")

    def owns_dataset(self, name):
        from keras_wgan.datasets.text import is_text_dataset

        return is_text_dataset(name)

    def owns_model(self, gan):
        from keras_wgan.architectures.language import vocabulary_of

        return vocabulary_of(gan.generator) is not None

    def info(self, name, data_dir=None, vocabulary=None, max_lines=None, **kwargs):
        from keras_wgan.datasets.text import LM1B_LINES, text_info

        return dict(text_info(name, data_dir=data_dir, vocabulary=vocabulary,
                              max_lines=max_lines or LM1B_LINES), kind="text")

    def load(self, name, batch_size, n_critic, seed=None, start_step=0, **kwargs):
        from keras_wgan.datasets.text import text_dataset

        return text_dataset(name, batch_size, n_critic, seed=seed, start_step=start_step,
                            **kwargs)

    def with_data(self, settings, dataset, info):
        if settings["conditional"]:
            raise ValueError(f"--conditional needs a dataset with labels; {dataset!r} has none.")
        return dict(settings, toy=False, sequence_length=info["shape"][0],
                    vocabulary=info["vocabulary"], num_classes=None)

    def build_networks(self, settings):
        from keras_wgan.architectures.language import build_language

        generator, critic = build_language(
            settings["vocabulary"], sequence_length=settings["sequence_length"],
            latent_dim=settings["latent_dim"], width=settings["width"],
            num_blocks=settings.get("num_blocks", 5))
        return generator, critic, None

    def load_kwargs(self, gan, settings, data_dir=None):
        from keras_wgan.architectures.language import vocabulary_of

        return dict(vocabulary=vocabulary_of(gan.generator), data_dir=data_dir)

    def training_callbacks(self, gan, out, log_dir, every_n_steps, seed):
        from keras_wgan import callbacks

        return [callbacks.TextSamples(os.path.join(out, "samples"), every_n_steps=every_n_steps,
                                      seed=seed, log_dir=log_dir)]

    def vocabulary(self, gan):
        from keras_wgan.architectures.language import vocabulary_of

        return vocabulary_of(gan.generator)

    def decode(self, gan, samples):
        from keras_wgan.datasets.text import decode

        tokens = np.asarray(samples).argmax(axis=-1).astype(np.int32)
        return {"samples": samples, "tokens": tokens,
                "text": np.array(decode(tokens, self.vocabulary(gan)), dtype=object)}

    def export_outputs(self, gan):
        import tensorflow as tf

        table = tf.constant(self.vocabulary(gan))

        def outputs(samples):
            samples = tf.cast(samples, tf.float32)
            tokens = tf.argmax(samples, axis=-1, output_type=tf.int32)
            # The padding's string is "": joining drops it wherever it stands.
            text = tf.strings.reduce_join(tf.gather(table, tokens), axis=-1)
            return {"samples": samples, "tokens": tokens, "text": text}

        return outputs

    def scored(self, outputs):
        return [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in outputs["text"]]

    def write(self, path, outputs):
        if path.endswith(".txt"):
            text = self.scored(outputs)
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(f"{line}\n" for line in text)
            return
        if path.endswith(".npy"):
            np.save(path, np.asarray(outputs["tokens"]))
            return
        super().write(path, outputs)

    def scores(self, samples, dataset, data_dir=None, **kwargs):
        """js1..js4 (bits) of the samples' n-gram models against the corpus's, and
        `words_in_corpus`. `samples`: decoded strings."""
        from keras_wgan.datasets.text import text_reference

        from keras_wgan.metrics import text_scores

        return text_scores(samples, text_reference(dataset, data_dir=data_dir)["lines"])

    def report(self, gan, dataset, out, seed, title, data_dir=None):
        from keras_wgan.datasets.text import text_reference
        from keras_wgan.metrics import text_scores

        text = self.scored(self.decode(gan, gan.generate(640, seed=seed + 1)))
        path = os.path.join(out, "samples.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(f"{line}\n" for line in text)
        print(f"Wrote {path}; the first samples:")
        for line in text[:8]:
            print(f"  {line}")
        reference = text_reference(dataset, data_dir=data_dir)
        scores = text_scores(text, reference["lines"])
        baseline = reference["baseline"]
        print("Character n-gram Jensen-Shannon divergence to the corpus (bits, 640 samples): "
              + ", ".join(f"js{n} {scores[f'js{n}']:.3f}" for n in range(1, 5))
              + f"; held-out real lines: "
              + ", ".join(f"js{n} {baseline[f'js{n}']:.3f}" for n in range(1, 5)))
        print(f"Words found in the corpus: {scores['words_in_corpus']:.1%} "
              f"(held-out real lines: {baseline['words_in_corpus']:.1%})")


POINTS, IMAGES, TEXT = Points(), Images(), Text()
MODALITIES = (POINTS, IMAGES, TEXT)


def for_dataset(name):
    """The kind of a dataset name; a ValueError names the datasets that exist."""
    for modality in MODALITIES:
        if modality.owns_dataset(name):
            return modality
    from keras_wgan.datasets import DATASETS

    raise ValueError(f"Invalid value for argument `dataset`. Received: dataset={name!r}. "
                     f"Expected one of {list(DATASETS)}.")


def for_model(gan):
    """The kind of data a `WGAN` generates (text first: its samples are rank 3)."""
    for modality in (TEXT, IMAGES, POINTS):
        if modality.owns_model(gan):
            return modality
    raise ValueError(f"No kind of data here generates samples of shape {gan.sample_shape}.")


def for_outputs(outputs):
    """The kind of an export's outputs (a dict of arrays)."""
    if "text" in outputs:
        return TEXT
    return IMAGES if np.ndim(outputs["samples"]) == 4 else POINTS
