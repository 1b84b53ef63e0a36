"""The benchmark's loss watch: means at the end and the first non-finite step."""

import math

from keras_wgan.bench import LossWatch


class _Steps:
    """Stands in for a WGAN: counts generator steps."""

    def __init__(self):
        self.step = 0

    def generator_step(self):
        return self.step


def test_loss_watch_keeps_the_last_logs_and_the_first_nonfinite_step():
    watch, model = LossWatch(), _Steps()
    watch.set_model(model)
    for step, loss in enumerate([1.0, 2.0, math.nan, 3.0, math.inf], start=1):
        model.step = step
        watch.on_train_batch_end(step - 1, {"critic_loss": loss, "generator_loss": 0.5})
    assert watch.first_nonfinite == 3
    assert watch.logs["generator_loss"] == 0.5 and math.isinf(watch.logs["critic_loss"])


def test_loss_watch_sees_no_nonfinite_step_in_a_finite_run():
    watch, model = LossWatch(), _Steps()
    watch.set_model(model)
    watch.on_train_batch_end(0, {"critic_loss": 1.0})
    assert watch.first_nonfinite is None and watch.logs == {"critic_loss": 1.0}
