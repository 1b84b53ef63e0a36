"""Scores of the generator's samples during training."""

import tensorflow as tf

from keras_wgan import datasets
from keras_wgan.architectures.language import vocabulary_of
from keras_wgan.callbacks.samples import decoded
from keras_wgan.callbacks.sampling import SamplingCallback
from keras_wgan.evaluation import Reference, evaluate_samples
from keras_wgan.utils.validation import check_int, invalid


class Evaluation(SamplingCallback):
    """Scores the generator's samples every N generator steps; logs to history and TensorBoard.

    Every `every_n_steps` generator steps (and at the end of training) it draws
    `num_samples` samples from fixed noise and scores them with
    `keras_wgan.evaluation.evaluate_samples` (Inception Score, FID and KID for image
    datasets; the offline digits score on "digits"; on both, and on reference data,
    precision, recall, density and coverage; mode coverage on toy data; the n-gram
    divergences js1..js4 and `words_in_corpus` on text). The latest
    scores join the epoch logs as `eval_<metric>`, so they appear in the progress bar
    and in `fit`'s History; every evaluation is also kept in `self.records` (with the
    generator step and the step's training metrics) and, with `log_dir`, written to
    TensorBoard at the generator step as `eval/<metric>`.

    One's own data are scored when `dataset` is reference data rather than a name
    (`keras_wgan.evaluation.Reference`): the logs get `eval_frechet_distance`,
    `eval_kernel_distance` (KID's unbiased MMD with the cubic kernel) and
    `eval_kernel_distance_std` between the features of the samples and of the reference,
    and, for examples of at most 8 values (`evaluation.MAX_LOW_DIMENSIONS`: points), the
    exact W1 distance `eval_wasserstein_distance` (on up to 2,000 of each), and
    `eval_precision`, `eval_recall`, `eval_density`, `eval_coverage` of the same features
    (k = 3 neighbours; noisy with few samples, NaN with 3 or fewer). The features
    are the raw values of such low-dimensional examples; larger ones (images) need
    `features=`. A language model's samples are scored against reference lines of text
    with js1..js4 and `words_in_corpus`. The reference is read and checked against the
    generator's sample shape when training begins.

    Args:
        dataset: the name of the dataset the model trains on; or reference data: a NumPy
            array of examples shaped like the generator's samples (subsampled, seeded, to
            `num_samples`), a `tf.data.Dataset` of examples, of batches, or of (examples,
            labels) pairs (its first `num_samples` examples are read: shuffle an ordered
            one), lines of text for a language model, or a `keras_wgan.evaluation.Reference`
            (which holds its own options).
        features: reference data only: a function from a samples array [n, ...] to
            features [n, F], "inception" (the Inception network, images), "flatten" (the
            raw values), or None (the default: the raw values, for examples of at most 8
            values; larger ones raise a ValueError asking for `features`).
        every_n_steps: generator steps between evaluations.
        num_samples: samples per evaluation (the paper's Inception Scores use 50,000).
            Default 5,000. Precision, recall, density and coverage are noisy with few
            (a standard deviation of 0.1 at 30 samples, see
            `keras_wgan.evaluation.precision_recall_density_coverage`) and NaN with 3
            or fewer.
        seed: seed of the fixed noise.
        log_dir: TensorBoard log folder (writes into `<log_dir>/train`), or None.
        batch_stats: draw the samples with the batch statistics of each generator call,
            the paper's protocol (see `WGAN.generate`), rather than the moving averages
            of its batch norm. Default False. Leaves the model's variables unchanged.
        batch_size: samples per generator call (the chunks of `batch_stats`; the
            paper's code drew 100 at a time). Default 256.
        ema: which generator is scored (`WGAN.sampling_generator`): None
            (default) the moving average's shadow generator when the model keeps one
            (`WGAN(ema=...)`), else the generator; False the raw generator.
        **evaluate_kwargs: passed to `evaluate_samples` (`network`,
            `reference_examples`, `splits`, `image_size`, `data_dir`; for toy data
            `wasserstein=True` adds `wasserstein_distance`, the exact W1 distance between
            the samples and fresh real points, beside the critic's estimate); with
            reference data, to `Reference` (`max_examples`, `wasserstein`,
            `wasserstein_samples`, `kid_subsets`, `kid_subset_size`, `network`).

    Raises:
        ValueError: for an unknown dataset name, or naming `dataset` (or `features`) for
            reference data that are not examples (when constructed) or not shaped like
            the generator's samples (when training begins).

    Example, on one's own 2-D points:
    >>> import keras, numpy as np, keras_wgan
    >>> points = np.random.default_rng(0).normal(size=(256, 2)).astype("float32")
    >>> gan = keras_wgan.WGAN(
    ...     keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]),
    ...     keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]),
    ... )
    >>> gan.compile()
    >>> evaluation = Evaluation(points, every_n_steps=2, num_samples=128)
    >>> data = keras_wgan.datasets.critic_batches(points, batch_size=16, n_critic=5)
    >>> history = gan.fit(data, steps_per_epoch=2, callbacks=[evaluation], verbose=0)
    >>> sorted(name for name in history.history if name.startswith("eval_"))
    ['eval_coverage', 'eval_density', 'eval_frechet_distance', 'eval_kernel_distance', 'eval_kernel_distance_std', 'eval_precision', 'eval_recall', 'eval_wasserstein_distance']

    and on a built-in dataset:
    >>> evaluation = Evaluation("digits", every_n_steps=500, num_samples=2000)
    """

    def __init__(
        self,
        dataset,
        every_n_steps=1000,
        num_samples=5000,
        seed=0,
        log_dir=None,
        batch_stats=False,
        batch_size=256,
        features=None,
        ema=None,
        **evaluate_kwargs,
    ):
        super().__init__(every_n_steps, seed=seed, ema=ema, log_dir=log_dir)
        num_samples = check_int("num_samples", num_samples, 2)
        self.reference = None
        if isinstance(dataset, str):
            datasets.check_name(dataset)
            if features is not None:
                raise invalid(
                    "features",
                    features,
                    "None with a dataset name (scored by its built-in metrics); `features` "
                    "is for reference data given in place of the name",
                )
        elif isinstance(dataset, Reference):
            self.reference = dataset
        else:
            self.reference = Reference(
                dataset,
                features=features,
                seed=seed,
                arg="dataset",
                **{"max_examples": num_samples, **evaluate_kwargs},
            )
        self.dataset = dataset
        self.num_samples = num_samples
        check_int("batch_size", batch_size, 1)
        self.batch_stats = bool(batch_stats)
        self.batch_size = batch_size
        self.evaluate_kwargs = evaluate_kwargs
        self.records = []
        self.latest = {}

    def evaluate(self):
        """Scores `num_samples` samples of the current generator; returns the scores."""
        samples = self.model.generate(
            self.num_samples,
            seed=self.seed,
            batch_size=self.batch_size,
            batch_stats=self.batch_stats,
            ema=self.ema,
        )
        samples = decoded(self.model, samples)  # text: the decoded strings
        if self.reference is not None:
            return self.reference.scores(samples)
        return evaluate_samples(samples, self.dataset, **self.evaluate_kwargs)

    def on_train_begin(self, logs=None):
        if self.reference is None:
            return
        text = vocabulary_of(self.model.generator) is not None
        if text != self.reference.is_text:
            what = (
                "lines of text, as the generator is a language model"
                if text
                else f"numeric examples of the generator's sample shape "
                f"{tuple(self.model.sample_shape[1:])}, not lines of text"
            )
            raise ValueError(
                f"Invalid value for argument `dataset`. Received: reference data of "
                f"{'text' if self.reference.is_text else 'numeric examples'}. Expected {what}."
            )
        # Reads the reference and computes its features: bad shapes fail before any step.
        self.reference.prepare(tuple(self.model.sample_shape[1:]))

    def write(self, step):
        scores = self.evaluate()
        self.latest = scores
        training = {k: float(v) for k, v in (getattr(self, "logs", None) or {}).items()}
        self.records.append({"step": step, **training, **scores})
        if self.log_dir:
            writer = self.summary_writer()
            with writer.as_default(step=step):
                for name, value in scores.items():
                    tf.summary.scalar(f"eval/{name}", value)
            writer.flush()

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if logs is not None:
            logs.update({f"eval_{name}": value for name, value in self.latest.items()})
