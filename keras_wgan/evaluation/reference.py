"""Scores of samples against reference data of one's own: no dataset name needed.

`Reference(data)` holds examples of the data a model learns (an array, a `tf.data.Dataset`
of examples or batches, or lines of text), reads them once, computes their features once,
and scores generated samples against them (`Reference.scores`):

- `frechet_distance`: the Frechet distance between Gaussians fitted to the features of the
  samples and of the reference (`image_metrics.frechet_distance`, FID's formula);
- `kernel_distance`, `kernel_distance_std`: the unbiased squared MMD under the cubic
  polynomial kernel, averaged over random subsets (`image_metrics.kernel_inception_distance`,
  KID's estimate; it can be slightly negative when the two agree);
- `precision`, `recall`, `density`, `coverage`: the k-nearest-neighbour scores of the same
  features (`precision_recall.precision_recall_density_coverage`, k = 3; NaN for 3
  samples or fewer);
- `wasserstein_distance`: for low-dimensional data (examples of at most
  `MAX_LOW_DIMENSIONS` = 8 values, such as 2-D points), the exact W1 distance between the
  examples themselves (`optimal_transport.wasserstein_distance`), on up to 2,000 of each;
- for text (reference lines, a language model's decoded samples): js1..js4 and
  `words_in_corpus` (`text_metrics.text_scores`), the scores of the built-in text data.

The features: by default the raw (flattened) values for low-dimensional data. Larger
examples, images among them, have no default, since no offline network fits every kind of
data: pass `features=`, a function from a samples array [n, ...] to features [n, F] (a
classifier's penultimate layer, say), "inception" for the Inception network's 2048 pool_3
features of images (the network of the published FIDs, downloaded on first use; see
`keras_wgan.evaluation.inception`), or "flatten" for the raw values (pixels: cheap and
offline, but a crude measure of image quality, and the Frechet distance takes the square
root of an F x F matrix, slow past a few thousand values). Scores are comparable between
runs only at the same numbers of samples and reference examples.
"""

import warnings

import numpy as np
import tensorflow as tf

from keras_wgan.evaluation import inception
from keras_wgan.evaluation._checks import invalid
from keras_wgan.evaluation.image_metrics import frechet_distance, kernel_inception_distance
from keras_wgan.evaluation.optimal_transport import wasserstein_distance
from keras_wgan.evaluation.precision_recall import SCORE_NAMES, sample_scores
from keras_wgan.evaluation.text_metrics import text_scores
from keras_wgan.utils.validation import check_int

#: Examples of at most this many values are low-dimensional: they are scored on their raw
#: values by default and get the exact W1 distance.
MAX_LOW_DIMENSIONS = 8
#: The most examples read from reference data by default.
MAX_REFERENCE_EXAMPLES = 5000
#: The features that have a name.
FEATURES = ("flatten", "inception")

_READ_BATCH = 512  # examples per element when a dataset of single examples is read


def _describe(data):
    if isinstance(data, tf.data.Dataset):
        return f"a tf.data.Dataset of {data.element_spec}"
    if isinstance(data, np.ndarray):
        return f"an array of shape {data.shape} and dtype {data.dtype}"
    return f"a {type(data).__name__}"


def _is_lines(data):
    """Whether `data` is lines of text: strings (or bytes) in a list, tuple or array."""
    if isinstance(data, np.ndarray):
        return data.ndim == 1 and (
            data.dtype.kind in "US"
            or (data.dtype.kind == "O" and all(isinstance(s, (str, bytes)) for s in data))
        )
    return (
        isinstance(data, (list, tuple))
        and len(data) > 0
        and all(isinstance(s, (str, bytes)) for s in data)
    )


def _as_lines(values):
    return [v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v) for v in values]


def _first_component(dataset, arg):
    """The dataset of examples only: the first of each (example, label) pair."""
    spec = dataset.element_spec
    if isinstance(spec, tuple):
        if not spec or not isinstance(spec[0], tf.TensorSpec):
            raise invalid(arg, _describe(dataset), "Expected examples, or (examples, labels).")
        return dataset.map(lambda *element: element[0])
    if not isinstance(spec, tf.TensorSpec):
        raise invalid(
            arg, _describe(dataset), "Expected a dataset of examples, or of (examples, labels)."
        )
    return dataset


class Reference:
    """Reference data that generated samples are scored against; see the module docstring.

    The data are read on first use (`prepare`, which the `Evaluation` callback calls when
    training begins, so that data of the wrong shape fail before any step), and their
    features are computed once.

    Args:
        data: examples of the data the model learns, on the scale the generator's samples
            have (the scale it trains on): a NumPy array [N, *sample_shape]; a
            `tf.data.Dataset` of such examples, of batches of them, or of (examples,
            labels) pairs, of which the first `max_examples` examples are read (shuffle an
            ordered one first; it may repeat forever); or, for a language model, lines of
            text (a list of strings, or a dataset of string scalars or batches).
        features: how examples become feature vectors for the Frechet and kernel
            distances: None (the default: the raw values of low-dimensional examples;
            required for larger ones, images included), "flatten" (the raw values),
            "inception" (the Inception network's pool_3 features, images only; needs the
            network, see `keras_wgan.evaluation.inception`), or a callable from a samples
            array [n, *sample_shape] to features [n, F].
        max_examples: the most reference examples used; an array with more is
            subsampled (seeded) to this many. Default 5,000.
        wasserstein: compute the exact W1 distance: None (the default) for
            low-dimensional examples only, True also on larger ones' raw values, False
            never.
        wasserstein_samples: the most samples and reference examples (each) in the exact
            W1 program, which has their product of variables. Default 2,000.
        kid_subsets: subsets the kernel distance averages over (KID's protocol: 100).
        kid_subset_size: the most examples in each subset (KID's protocol: 1,000).
        network: the Inception network for `features="inception"`
            (`keras_wgan.evaluation.inception.load_network`).
        seed: seed of the subsampling of an array and of the kernel distance's subsets.
        arg: what the error messages call `data` (the `Evaluation` callback's `dataset`).

    Raises:
        ValueError: naming `arg` for data that are not examples (not numeric, not finite,
            fewer than 2), or `features` for a feature function it does not know.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> reference = Reference(rng.normal(size=(200, 2)))
    >>> scores = reference.scores(rng.normal(size=(200, 2)) + [3.0, 0.0])
    >>> sorted(scores)  # doctest: +NORMALIZE_WHITESPACE
    ['coverage', 'density', 'frechet_distance', 'kernel_distance', 'kernel_distance_std',
     'precision', 'recall', 'wasserstein_distance']
    >>> round(scores["wasserstein_distance"])  # every point moved by 3
    3
    """

    def __init__(
        self,
        data,
        features=None,
        max_examples=MAX_REFERENCE_EXAMPLES,
        wasserstein=None,
        wasserstein_samples=2000,
        kid_subsets=100,
        kid_subset_size=1000,
        network=None,
        seed=0,
        arg="data",
    ):
        self.arg = arg
        if not (features is None or features in FEATURES or callable(features)):
            raise invalid(
                "features",
                repr(features),
                f"Expected None, one of {list(FEATURES)}, or a function from a samples array "
                "to features [N, F].",
            )
        if wasserstein not in (None, True, False):
            raise invalid("wasserstein", repr(wasserstein), "Expected None, True or False.")
        self.features = features
        self.max_examples = check_int("max_examples", max_examples, 2)
        self.wasserstein = wasserstein
        self.wasserstein_samples = check_int("wasserstein_samples", wasserstein_samples, 2)
        self.kid_subsets = check_int("kid_subsets", kid_subsets, 1)
        self.kid_subset_size = check_int("kid_subset_size", kid_subset_size, 2)
        self.network = network
        self.seed = seed
        self.is_text = False
        self._dataset = None
        self._array = None
        self._lines = None
        if isinstance(data, tf.data.Dataset):
            self._dataset = _first_component(data, arg)
            self.is_text = self._dataset.element_spec.dtype == tf.string
        elif _is_lines(data):
            self.is_text = True
            self._lines = _as_lines(data)
        else:
            self._array = self._check_array(data)
        if self.is_text and features is not None:
            raise invalid(
                "features",
                repr(features),
                "Expected None for lines of text (scored by their character n-grams).",
            )
        self._prepared = None  # the example shape the examples were read for
        self.examples = None  # the reference examples (an array; lines for text)
        self.length = None  # text: the length lines are cut to
        self.reference_features = None
        self._featurize = None

    def _check_array(self, data):
        try:
            array = np.asarray(data)
        except ValueError as error:  # ragged nested lists
            raise invalid(
                self.arg, _describe(data), f"Expected an array of examples ({error})."
            ) from None
        if array.dtype.kind not in "fiu" or array.ndim < 1:
            raise invalid(
                self.arg,
                _describe(array),
                "Expected numeric examples [N, *sample_shape] (an array or a tf.data.Dataset), "
                "lines of text, or a dataset name.",
            )
        if len(array) < 2:
            raise invalid(self.arg, _describe(array), "Expected at least 2 examples.")
        array = array.astype("float32")
        bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
        if bad.any():
            raise invalid(
                self.arg,
                _describe(array),
                f"Expected finite values; {int(bad.sum())} example(s) hold NaN or Inf (the "
                f"first at index {int(np.argmax(bad))}).",
            )
        return array

    def _read_dataset(self, example_rank):
        """Up to `max_examples` examples (or lines) of the dataset, as one array."""
        dataset = self._dataset
        rank = dataset.element_spec.shape.rank
        if rank == example_rank:
            dataset = dataset.batch(_READ_BATCH)
        elif rank != example_rank + 1:
            what = "lines (string scalars)" if self.is_text else f"examples of rank {example_rank}"
            raise invalid(
                self.arg,
                _describe(self._dataset),
                f"Expected a dataset of {what} or of batches of them.",
            )
        parts, count = [], 0
        for batch in dataset:
            parts.append(batch.numpy())
            count += len(parts[-1])
            if count >= self.max_examples:
                break
        if not parts:
            raise invalid(self.arg, _describe(self._dataset), "Expected a dataset with examples.")
        return np.concatenate(parts)[: self.max_examples]

    def prepare(self, example_shape=None):
        """Reads the reference examples for samples of `example_shape` (one sample's
        shape; for text, the generator's [length, vocabulary]) and computes their
        features; once per shape. Returns self.

        Raises:
            ValueError: naming the data's argument when their examples do not have
                `example_shape`, or `features` when it does not apply to them.
        """
        key = None if example_shape is None else tuple(example_shape)
        if self.examples is not None and self._prepared == key:
            return self
        if self.is_text:
            lines = self._lines if self._dataset is None else _as_lines(self._read_dataset(0))
            lines = lines[: self.max_examples]
            self.length = key[0] if key is not None and len(key) == 2 else None
            if self.length is not None:
                lines = [line[: self.length] for line in lines]
            self.examples, self._prepared = lines, key
            return self
        if key is None:
            raise ValueError("`prepare` needs the samples' example shape for numeric data.")
        if self._dataset is not None:
            examples = self._check_array(self._read_dataset(len(key)))
        else:
            examples = self._array
            if len(examples) > self.max_examples:
                rng = np.random.default_rng(self.seed)
                examples = examples[np.sort(rng.choice(len(examples), self.max_examples, False))]
        if examples.shape[1:] != key:
            raise invalid(
                self.arg,
                f"examples of shape {examples.shape[1:]}",
                f"Expected examples of the generator's sample shape {key} (an array of shape "
                f"[N, {', '.join(str(d) for d in key)}]).",
            )
        self._featurize = self._feature_function(key)
        self.reference_features = self._featurize(examples, self.arg)
        self.examples, self._prepared = examples, key
        return self

    def _feature_function(self, example_shape):
        """The function (array, what) -> float64 features [n, F] for this data."""
        size = int(np.prod(example_shape))
        features = self.features
        if features is None and size > MAX_LOW_DIMENSIONS:
            raise invalid(
                "features",
                f"None for examples of shape {example_shape} ({size} values)",
                f"Only examples of at most {MAX_LOW_DIMENSIONS} values are scored on their "
                "raw values by default: pass features= a function from a samples array to "
                "features [N, F] (a classifier's penultimate layer), 'inception' (the "
                "Inception network's features of images), or 'flatten' (the raw values).",
            )
        if features is None or features == "flatten":
            return lambda x, what: np.asarray(x, "float64").reshape(len(x), -1)
        if features == "inception":
            if len(example_shape) != 3 or example_shape[-1] not in (1, 3):
                raise invalid(
                    "features",
                    f"'inception' for examples of shape {example_shape}",
                    "Expected images [height, width, 1 or 3] for the Inception network.",
                )
            return lambda x, what: inception.inception_outputs(x, network=self.network)[1]

        def call(x, what):
            out = np.asarray(features(x), dtype="float64")
            if out.ndim != 2 or len(out) != len(x):
                raise invalid(
                    "features",
                    repr(features),
                    f"Expected a function returning features [N, F], one row per example; it "
                    f"returned shape {out.shape} for {what} of shape {np.shape(x)}.",
                )
            if not np.isfinite(out).all():
                raise invalid(
                    "features",
                    repr(features),
                    f"Expected finite features; it returned NaN or Inf for {what}.",
                )
            return out

        return call

    def low_dimensional(self):
        """Whether the prepared examples have at most `MAX_LOW_DIMENSIONS` values."""
        return self._prepared is not None and int(np.prod(self._prepared)) <= MAX_LOW_DIMENSIONS

    def scores(self, samples):
        """The scores of `samples` against the reference (see the module docstring).

        Args:
            samples: generated samples [n, *sample_shape], n >= 2, as `WGAN.generate`
                returns them; for text, the decoded strings.

        Returns:
            A dict of Python floats: `frechet_distance`, `kernel_distance`,
            `kernel_distance_std`, `wasserstein_distance` (low-dimensional data),
            `precision`, `recall`, `density` and `coverage`; for text, js1..js4 and
            `words_in_corpus`. Samples holding NaN or Inf get NaN
            scores, with a warning.
        """
        if self.is_text:
            if not _is_lines(samples):
                raise invalid(
                    "samples",
                    _describe(samples),
                    "Expected decoded lines of text, as the reference data are text.",
                )
            self.prepare(self._prepared)
            lines = _as_lines(samples)
            length = self.length or max(len(s) for s in lines + self.examples)
            return text_scores(lines, self.examples, length=length)
        if _is_lines(samples):
            raise invalid(
                self.arg,
                _describe(self._array if self._array is not None else self._dataset),
                "Expected lines of text, as the samples are text (a language model).",
            )
        samples = np.asarray(samples, dtype="float32")
        if samples.ndim < 1 or len(samples) < 2:
            raise invalid("samples", f"an array of shape {samples.shape}", "Expected 2 or more.")
        self.prepare(samples.shape[1:])
        names = ["frechet_distance", "kernel_distance", "kernel_distance_std"]
        wasserstein = self.wasserstein or (self.wasserstein is None and self.low_dimensional())
        if wasserstein:
            names.append("wasserstein_distance")
        names.extend(SCORE_NAMES)
        if not np.isfinite(samples).all():
            warnings.warn(
                "The generated samples hold NaN or Inf values: their scores are NaN.",
                stacklevel=2,
            )
            return dict.fromkeys(names, float("nan"))
        features = self._featurize(samples, "samples")
        kid, kid_std = kernel_inception_distance(
            features,
            self.reference_features,
            num_subsets=self.kid_subsets,
            max_subset_size=self.kid_subset_size,
            seed=self.seed,
        )
        result = {
            "frechet_distance": frechet_distance(features, self.reference_features),
            "kernel_distance": kid,
            "kernel_distance_std": kid_std,
        }
        if wasserstein:
            n = min(len(samples), self.wasserstein_samples)
            m = min(len(self.examples), self.wasserstein_samples)
            result["wasserstein_distance"] = wasserstein_distance(
                samples[:n].reshape(n, -1),
                self.examples[:m].reshape(m, -1),
                max_samples=max(n, m),
            )
        result.update(sample_scores(self.reference_features, features))
        return result


def reference_scores(samples, data, **kwargs):
    """`Reference(data, **kwargs).scores(samples)`: samples scored against one's own data.

    Example:
    >>> import numpy as np
    >>> points = np.random.default_rng(0).normal(size=(200, 2))
    >>> reference_scores(points, points)["wasserstein_distance"]
    0.0
    """
    return Reference(data, **kwargs).scores(samples)


__all__ = ["FEATURES", "MAX_LOW_DIMENSIONS", "Reference", "reference_scores"]
