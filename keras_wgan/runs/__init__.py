"""A resumable training run in a folder: what `keras-wgan train` and the examples share.

A run folder holds `checkpoint.keras` (the whole model with both optimisers, replaced
atomically at every epoch end), TensorBoard logs under `logs/`, sample grids under
`samples/` for image and text models, and, by default, the TF Serving export under `export/`.

One process at a time works in a run folder: `locked` holds an exclusive lock on it
(`keras_wgan.utils.locks`) from before its checkpoint is read until the export is written,
and a second process is refused at once with the holder's process id.
"""

import contextlib
import json
import os
import sys
import warnings
import zipfile

import keras

from keras_wgan import callbacks as callbacks_lib
from keras_wgan import datasets, options, presets
from keras_wgan.architectures import improved, spectral_normalize
from keras_wgan.export import export_generator, metadata, versions
from keras_wgan.runs import kinds
from keras_wgan.runs.limits import check_outputs
from keras_wgan.utils.files import check_folder, remove_stale_temporaries
from keras_wgan.utils.locks import exclusive
from keras_wgan.wgan import WGAN, PresetReplacedWarning

CHECKPOINT = "checkpoint.keras"


def with_data(settings, dataset, image_size=None, data_dir=None):
    """Resolved settings plus what the data fixes: "image_shape" and "num_classes" for
    images, "sequence_length" and "vocabulary" for text.

    Args:
        settings: from `keras_wgan.presets.resolve`.
        dataset: the dataset name ("cifar10", "folder:PATH", "text", ...).
        image_size: the images' side; None keeps the dataset's own.
        data_dir: the tensorflow-datasets data folder (text from "lm1b").
    """
    kind = kinds.for_dataset(dataset)
    if settings["dataset_kind"] != kind.name:
        raise ValueError(
            f"The recipe {settings['recipe']!r} is for {settings['dataset_kind']}; "
            f"{dataset!r} holds {kind.name}."
        )
    info = datasets.info(dataset, image_size=image_size, data_dir=data_dir)
    return kind.with_data(settings, dataset, info)


def build_gan(settings, seed=None):
    """A compiled `WGAN` from resolved settings (`keras_wgan.presets.resolve`).

    What `keras-wgan train` and the example scripts build their runs with.

    Args:
        settings: the resolved settings, with what the data fixes added (`with_data`).
        seed: the model's noise seed.
    """
    kind = kinds.KINDS[settings["dataset_kind"]]
    generator, critic, num_classes = kind.build_networks(settings)
    if settings.get("minibatch_discrimination"):
        critic = improved.with_minibatch_discrimination(
            critic, *settings["minibatch_discrimination"]
        )
    if settings.get("spectral_norm"):  # after minibatch discrimination: its score too
        critic = spectral_normalize(critic)
    if settings.get("virtual_batch_norm"):
        generator = improved.with_virtual_batch_norm(
            generator, settings["virtual_batch_norm"], seed=seed or 0
        )
    flat, model_args, training = options.split(dict(settings["model"]))
    if not num_classes:  # the class-loss arguments only mean something with labels
        for key in ("conditioning", "ac_weight_critic", "ac_weight_generator"):
            flat.pop(key, None)
    gan = WGAN(
        generator,
        critic,
        seed=seed,
        **model_args,
        **options.components(dict(flat, num_classes=num_classes)),
    )
    with warnings.catch_warnings():  # the recipe's optimisers are chosen, not a habit
        warnings.simplefilter("ignore", PresetReplacedWarning)
        gan.compile(*presets.build_optimizers(settings), **training)
    return gan


def load_checkpoint(path):
    """Loads a `WGAN` from a `.keras` file or a run folder.

    Raises:
        FileNotFoundError: if there is no such file, or the folder holds no checkpoint.
        ValueError: naming the file, for one that is not a readable `.keras` archive
            (empty, truncated, garbled, or an export in another format) or holds another
            kind of Keras model.
    """
    if os.path.isdir(path):
        path = os.path.join(path, CHECKPOINT)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No checkpoint at {path!r}.")
    if os.path.getsize(path) == 0:
        raise _unreadable(path, "empty: 0 bytes")
    if not zipfile.is_zipfile(path):  # Keras would say "File not found"
        raise _unreadable(path, "not a zip archive")
    try:
        model = keras.saving.load_model(path)
    except (zipfile.BadZipFile, EOFError) as error:  # garbled inside (a bad CRC, say)
        raise _unreadable(path, error) from None
    if not isinstance(model, WGAN):
        raise ValueError(
            f"{path!r} holds a {type(model).__name__}, not a keras_wgan.WGAN: pass a "
            "checkpoint of `keras-wgan train` or a `.keras` file of `WGAN.save`."
        )
    return model


def _unreadable(path, error):
    return ValueError(
        f"The checkpoint {path!r} is not a readable .keras file ({error}); a run folder's "
        "checkpoint that is damaged can be moved away to start the run again."
    )


@contextlib.contextmanager
def locked(out):
    """Holds the run folder `out` for the `with` block: an exclusive lock on it.

    `train` takes it before reading the run's checkpoint (`resume_or_create`) and keeps it
    until the export is written; it may be taken again, nested, by the same process. A second process
    asking for a held folder is refused at once with `FolderInUseError`, naming the folder and
    the holder's process id; the lock dies with its holder, even on SIGKILL. Under the
    lock, the `.tmp-*` files that killed writers left in the folder, its `samples/` and
    its `export/` are removed (`keras_wgan.utils.files.remove_stale_temporaries`).

    Yields:
        The `keras_wgan.utils.locks.Lock`.

    Example:
    >>> with locked("runs/x"):  # doctest: +SKIP
    ...     gan, done = resume_or_create("runs/x", make_model)
    """
    check_folder("out", out)
    with exclusive(out) as lock:
        for folder in (out, os.path.join(out, "samples"), os.path.join(out, "export")):
            remove_stale_temporaries(folder, before=lock.started)
        yield lock


def checkpoint_metadata(path):
    """The `metadata` a `WGAN` checkpoint was saved with (None if it has none), read from
    the `.keras` file's config without building the model.

    Raises:
        ValueError: naming the file, for one that is not a readable `.keras` archive
            (truncated, garbled).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError) as error:
        raise _unreadable(path, error) from None
    return (config.get("config") or {}).get("metadata")


def resume_or_create(out, make_model):
    """(model, done): the run's checkpoint if `out` has one, else `make_model()`.

    `done` is the number of generator steps already made.
    """
    path = os.path.join(out, CHECKPOINT)
    if os.path.exists(path):
        gan = load_checkpoint(path)
        done = gan.generator_step()
        print(f"Resuming from {path} at generator step {done}.")
        return gan, done
    return make_model(), 0


def train(
    out,
    build,
    load_data,
    steps,
    *,
    seed=0,
    steps_per_epoch=100,
    sample_every=500,
    export_dir=None,
    max_samples=None,
    force_export=False,
    callbacks=(),
    report=None,
):
    """Trains (or resumes) the run in `out` and exports its generator: the sequence that
    `keras-wgan train` and the example scripts share.

    Under the run folder's lock (`locked`), from before its checkpoint is read until its
    export (and `report`) are written: seeds Keras's random generators with `seed`,
    resumes the checkpoint in `out` or builds a new model (`resume_or_create`), reads the
    data from the step the model stands at, trains until the model has made `steps`
    generator steps (a checkpoint at every epoch end) and exports the generator.

    A finished run (the model already at `steps`) is not trained again; it says so, and
    it is exported only if the latest export in `export_dir` is not of this generator
    step (none yet, or the run was stopped between its last checkpoint and its export),
    or `force_export` asks for a new version anyway: rerunning a finished run adds no
    copy of an export it has.

    Args:
        out: the run folder.
        build: `build()` gives a new compiled `keras_wgan.WGAN` (`build_gan`); called only
            when `out` holds no checkpoint.
        load_data: `load_data(gan, done)` gives the training dataset starting at
            generator step `done` (`keras_wgan.datasets.load(..., start_step=done)`), so
            that a resumed run reads what an uninterrupted one would.
        steps: total generator steps of the run.
        seed: seed of Keras's random generators and of the sample grids' fixed noise.
        steps_per_epoch: generator steps between checkpoints and progress lines.
        sample_every: generator steps between sample grids (images) or sample files (text).
        export_dir: base folder of the export; default `out/export`.
        max_samples: the export's limit on samples per request (`export_generator`);
            default `export.DEFAULT_MAX_SAMPLES`.
        force_export: export a finished run again, as a new version.
        callbacks: more Keras callbacks.
        report: `report(gan, export_path)`, called under the lock once the export is
            written (`export_path` is None when a finished run's export was there already).

    Returns:
        (gan, export_path): the trained model and the path of the exported version folder
        (None if a finished run's export was there already).

    Raises:
        ValueError: for an `out` or `export_dir` that cannot be a folder, or a
            `max_samples` the export would refuse (checked before anything is read).
        keras_wgan.utils.locks.FolderInUseError: if another process holds `out`.

    Example:
    >>> gan, path = train(  # doctest: +SKIP
    ...     "runs/x",
    ...     lambda: build_gan(settings),
    ...     lambda gan, done: datasets.load("digits", 64, gan.n_critic, start_step=done)[0],
    ...     steps=1000,
    ... )
    """
    check_outputs(out, export_dir, max_samples)  # before training, not after it
    with locked(out):
        keras.utils.set_random_seed(seed)
        gan, done = resume_or_create(out, build)
        dataset = load_data(gan, done)
        spe = min(steps_per_epoch, steps)
        log_dir = os.path.join(out, "logs")
        checkpoint = callbacks_lib.AtomicCheckpoint(os.path.join(out, CHECKPOINT))
        every = [
            callbacks_lib.StopAtStep(steps),
            callbacks_lib.NonFiniteLoss(),
            checkpoint,
            keras.callbacks.TensorBoard(log_dir),
        ]
        every += kinds.for_model(gan).training_callbacks(gan, out, log_dir, sample_every, seed)
        if done < steps:
            gan.fit(
                dataset,
                epochs=-(-steps // spe),  # exact for any int64 step count, unlike a float
                initial_epoch=done // spe,
                steps_per_epoch=spe,
                callbacks=every + list(callbacks),
                # A progress bar on a terminal; one line per epoch in a log file, which the
                # bar's redraws would fill.
                verbose=1 if sys.stdout.isatty() else 2,
                shuffle=False,  # the dataset shuffles itself
            )
            checkpoint.set_model(gan)
            checkpoint.save()
        else:
            print(f"The run in {out} is finished: it is at generator step {done} of {steps}.")
        base = export_dir or os.path.join(out, "export")
        path = None
        if done < steps or force_export or not _exported(base, done):
            limit = {} if max_samples is None else {"max_samples": max_samples}
            path = export_generator(gan, base, **limit)
        if report is not None:
            report(gan, path)
    return gan, path


def _exported(base, step):
    """Whether the latest export in `base` is of generator step `step` (one recorded
    before exports held their step counts as such)."""
    return bool(versions(base)) and metadata(base).get("generator_step", step) == step
