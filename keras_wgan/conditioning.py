"""Class conditioning as a component of `keras_wgan.WGAN(conditioning=...)`: the AC-GAN
form of the paper's conditional CIFAR-10 model (section 5.2; Odena et al. 2017).

The generator takes [z, labels] (labels int32 [batch]), the critic returns
[score, class_logits], and the data comes as (images, labels). The critic's loss gains
`critic_weight` times a class cross-entropy and the generator's `generator_weight` times
the cross-entropy of its samples against the classes they were made for.
"""

import keras

from keras_wgan.losses.functions import classification_loss
from keras_wgan.utils.components import Component
from keras_wgan.utils.components import get as _get
from keras_wgan.utils.validation import check_float, check_int, invalid, is_int


@keras.saving.register_keras_serializable(package="keras_wgan")
class ACGAN(Component):
    """The AC-GAN class losses of a conditional model.

    Args:
        num_classes: K, the number of classes (>= 2).
        critic_weight: weight of the critic's class loss. Default 1.0.
        generator_weight: weight of the generator's class loss. Default 0.1.
        classify_fake: what the critic's class loss classifies: False (default), the real
            images only, as in the paper's code (gan_cifar_resnet.py); True, the real
            images and the generated ones with the classes they were generated for, as in
            Odena et al. 2017 (section 3): on small datasets the real-only head memorises
            the training set and the generator learns to fool it instead of following its
            labels.

    Example:
    >>> from keras_wgan.conditioning import ACGAN
    >>> ACGAN(10)
    ACGAN(num_classes=10, critic_weight=1.0, generator_weight=0.1, classify_fake=False)
    """

    #: The logs the step adds.
    log_names = ("critic_class_loss", "generator_class_loss")

    def __init__(self, num_classes, critic_weight=1.0, generator_weight=0.1, classify_fake=False):
        self.num_classes = check_int("num_classes", num_classes, 2)
        self.critic_weight = check_float("critic_weight", critic_weight)
        self.generator_weight = check_float("generator_weight", generator_weight)
        if not isinstance(classify_fake, bool):
            raise invalid("classify_fake", classify_fake, "True or False")
        self.classify_fake = classify_fake

    def critic_loss(self, labels, real_logits, fake_labels=None, fake_logits=None):
        """The critic's class loss, before `critic_weight`: cross-entropy on the real
        batch, plus on the generated batch with `classify_fake` (Odena et al. 2017,
        equation 2: the critic maximises log P(C = c | X) on both)."""
        loss = classification_loss(labels, real_logits)
        if self.classify_fake:
            loss = loss + classification_loss(fake_labels, fake_logits)
        return loss

    def generator_loss(self, labels, fake_logits):
        """The generator's class loss, before `generator_weight`."""
        return classification_loss(labels, fake_logits)

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "critic_weight": self.critic_weight,
            "generator_weight": self.generator_weight,
            "classify_fake": self.classify_fake,
        }


def get(identifier):
    """A conditioning component from a component, a number of classes (an `ACGAN` with
    its defaults) or a serialized config; None stays None."""
    return _get(
        "conditioning",
        identifier,
        ACGAN,
        lambda x: ACGAN(x) if is_int(x) else None,
        "None, a number of classes or a keras_wgan.conditioning.ACGAN",
    )
