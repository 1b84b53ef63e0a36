"""Everything that scores samples: image metrics, precision, recall, density and coverage,
the exact W1 distance, text n-grams, toy coverage, the Inception network and the offline
classifier scores of digits and MNIST.

`evaluate_samples(samples, dataset)` scores generated samples the way their dataset is
scored (`keras_wgan.evaluation.samples`), or against one's own data in place of the name
(`keras_wgan.evaluation.reference`: Frechet and kernel distances of features, the exact
W1 distance of low-dimensional data); the metrics take precomputed logits, activations
or samples, so they can be checked without any network.
"""

from keras_wgan.evaluation.classifier import ClassifierSpec, classifier_score
from keras_wgan.evaluation.digits import digits_classifier, digits_classifier_info, digits_score
from keras_wgan.evaluation.image_metrics import (
    frechet_distance,
    frechet_distance_from_statistics,
    inception_score,
    kernel_inception_distance,
    statistics,
)
from keras_wgan.evaluation.mnist import mnist_classifier, mnist_classifier_info, mnist_score
from keras_wgan.evaluation.optimal_transport import wasserstein_distance
from keras_wgan.evaluation.precision_recall import NEAREST_K, precision_recall_density_coverage
from keras_wgan.evaluation.reference import MAX_LOW_DIMENSIONS, Reference, reference_scores
from keras_wgan.evaluation.samples import OFFLINE_SCORES, as_digits, evaluate_samples, offline_score
from keras_wgan.evaluation.text import text_reference
from keras_wgan.evaluation.text_metrics import ngram_js_divergence, text_scores, words_in_corpus
from keras_wgan.evaluation.toy import mode_coverage, nearest_real_distance

__all__ = [
    "MAX_LOW_DIMENSIONS",
    "NEAREST_K",
    "OFFLINE_SCORES",
    "ClassifierSpec",
    "Reference",
    "as_digits",
    "classifier_score",
    "digits_classifier",
    "digits_classifier_info",
    "digits_score",
    "evaluate_samples",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "inception_score",
    "kernel_inception_distance",
    "mnist_classifier",
    "mnist_classifier_info",
    "mnist_score",
    "mode_coverage",
    "nearest_real_distance",
    "ngram_js_divergence",
    "offline_score",
    "precision_recall_density_coverage",
    "reference_scores",
    "statistics",
    "text_reference",
    "text_scores",
    "wasserstein_distance",
    "words_in_corpus",
]
