"""The gradient plumbing of the WGAN step on the PyTorch backend: `torch.autograd.grad`.

Algorithm 1 itself is written once, in `keras_wgan.trainers.base`. Keras runs a PyTorch
`train_step` eagerly; each update takes the gradient of its loss with respect to the
variables' tensors and applies it under `torch.no_grad()`. The gradient penalty takes
`torch.autograd.grad(..., create_graph=True)` with respect to x-hat, so that the
penalty's own gradient reaches the critic's parameters (the double gradient of
equation 3).
"""

import torch

from keras_wgan.trainers import base


def _detached(logs):
    return {name: value.detach() for name, value in logs.items()}


class TorchTrainer(base.TrainerBase):
    """The PyTorch half of `keras_wgan.WGAN`'s trainer."""

    def _on_compile(self):
        self._refuse_loss_scaling("PyTorch")

    def _minimize(self, loss_fn, optimizer, variables):
        with torch.enable_grad():
            loss, logs, updates = loss_fn()
            scaled = optimizer.scale_loss(loss)
            grads = torch.autograd.grad(
                scaled, [v.value for v in variables], allow_unused=True, materialize_grads=True
            )
        with torch.no_grad():
            for variable, value in updates:
                variable.assign(value.detach())
            optimizer.apply(list(grads), variables)
        return _detached(logs)

    def _input_gradient(self, fn, x):
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            (gradient,) = torch.autograd.grad(fn(x), x, create_graph=True)
        return gradient

    def train_step(self, data):
        return self._train_logic(data)

    def test_step(self, data):
        """The Wasserstein estimate E[D(x)] - E[D(G(z))] on held-out real data (section 5.3)."""
        return self._test_logic(data)
