"""Scores of the generator's samples during training."""

import os

import tensorflow as tf

from keras_wgan import datasets
from keras_wgan.callbacks.periodic import EveryNSteps
from keras_wgan.callbacks.samples import decoded
from keras_wgan.evaluation import evaluate_samples
from keras_wgan.utils.validation import check_int


class Evaluation(EveryNSteps):
    """Scores the generator's samples every N generator steps; logs to history and TensorBoard.

    Every `every_n_steps` generator steps (and at the end of training) it draws
    `num_samples` samples from fixed noise and scores them with
    `keras_wgan.evaluation.evaluate_samples` (Inception Score, FID and KID for image
    datasets; the offline digits score on "digits"; mode coverage on toy data; the n-gram
    divergences js1..js4 and `words_in_corpus` on text). The latest
    scores join the epoch logs as `eval_<metric>`, so they appear in the progress bar
    and in `fit`'s History; every evaluation is also kept in `self.records` (with the
    generator step and the step's training metrics) and, with `log_dir`, written to
    TensorBoard at the generator step as `eval/<metric>`.

    Args:
        dataset: the name of the dataset the model trains on.
        every_n_steps: generator steps between evaluations.
        num_samples: samples per evaluation (the paper's Inception Scores use 50,000).
        seed: seed of the fixed noise.
        log_dir: TensorBoard log folder (writes into `<log_dir>/train`), or None.
        batch_stats: draw the samples with the batch statistics of each generator call,
            the paper's protocol (see `WGAN.generate`), rather than the moving averages
            of its batch norm. Default False. Leaves the model's variables unchanged.
        batch_size: samples per generator call (the chunks of `batch_stats`; the
            paper's code drew 100 at a time). Default 256.
        **evaluate_kwargs: passed to `evaluate_samples` (`network`,
            `reference_examples`, `splits`, `image_size`, `data_dir`; for toy data
            `wasserstein=True` adds `wasserstein_distance`, the exact W1 distance between
            the samples and fresh real points, beside the critic's estimate).

    Example:
    >>> evaluation = Evaluation("digits", every_n_steps=500, num_samples=2000)  # doctest: +SKIP
    >>> gan.fit(data, epochs=20, steps_per_epoch=500, callbacks=[evaluation])  # doctest: +SKIP
    >>> history.history["eval_digits_score"]  # doctest: +SKIP
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
        **evaluate_kwargs,
    ):
        super().__init__(every_n_steps=every_n_steps)
        datasets.check_name(dataset)
        num_samples = check_int("num_samples", num_samples, 2)
        self.dataset = dataset
        self.num_samples = num_samples
        self.seed = seed
        self.log_dir = None if log_dir is None else str(log_dir)
        check_int("batch_size", batch_size, 1)
        self.batch_stats = bool(batch_stats)
        self.batch_size = batch_size
        self.evaluate_kwargs = evaluate_kwargs
        self.records = []
        self.latest = {}
        self._writer = None

    def evaluate(self):
        """Scores `num_samples` samples of the current generator; returns the scores."""
        samples = self.model.generate(
            self.num_samples,
            seed=self.seed,
            batch_size=self.batch_size,
            batch_stats=self.batch_stats,
        )
        samples = decoded(self.model, samples)  # text: the decoded strings
        return evaluate_samples(samples, self.dataset, **self.evaluate_kwargs)

    def write(self, step):
        scores = self.evaluate()
        self.latest = scores
        training = {k: float(v) for k, v in (getattr(self, "logs", None) or {}).items()}
        self.records.append({"step": step, **training, **scores})
        if self.log_dir:
            if self._writer is None:  # one events file for the whole run
                self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "train"))
            with self._writer.as_default(step=step):
                for name, value in scores.items():
                    tf.summary.scalar(f"eval/{name}", value)
            self._writer.flush()

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if logs is not None:
            logs.update({f"eval_{name}": value for name, value in self.latest.items()})

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if self._writer is not None:
            self._writer.close()
            self._writer = None
