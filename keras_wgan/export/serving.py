"""TF Serving's layout: integer version folders under a base folder, each a SavedModel with
the export's record (`METADATA`) beside it, a new version written whole under the base's
lock."""

import json
import os
import re
import shutil

from keras_wgan.utils.files import remove_stale_temporaries, temporary_folder
from keras_wgan.utils.locks import exclusive

_VERSION = re.compile(r"^\d+$")

#: The export's record in a version folder (TF Serving ignores it).
METADATA = "keras_wgan.json"
#: Seconds an export waits for another one writing into the same base folder.
LOCK_TIMEOUT = 600


def versions(base_dir):
    """The integer version folders under `base_dir`, sorted (TF Serving's layout)."""
    if not os.path.isdir(base_dir):
        return []
    return sorted(int(n) for n in os.listdir(base_dir) if _VERSION.match(n))


def latest_version_dir(path):
    """`path` itself if it is a SavedModel, else its highest integer version folder."""
    if os.path.exists(os.path.join(path, "saved_model.pb")):
        return path
    found = versions(path)
    if not found:
        raise FileNotFoundError(
            f"No SavedModel at {path!r}: expected a folder with saved_model.pb or "
            "integer version folders (TF Serving's layout)."
        )
    return os.path.join(path, str(found[-1]))


def metadata(path):
    """The export's own description (`METADATA` in its version folder): `latent_dim`,
    `num_classes`, `max_samples`, `sample_shape`, `kind`, `generator_step` (the model's
    training step; None if it was never compiled), `ema` for a model that keeps a moving
    average, `vocabulary` for text; {} for an export without one."""
    record = os.path.join(latest_version_dir(path), METADATA)
    try:
        with open(record) as f:
            found = json.load(f)
    except FileNotFoundError:
        return {}
    except ValueError as error:  # not JSON, or not UTF-8
        raise ValueError(f"The export's record {record!r} is not valid JSON ({error}).") from None
    if not isinstance(found, dict):
        raise ValueError(f"The export's record {record!r} is not a JSON object.")
    return found


def check_base(base_dir):
    """Refuses a base folder that is itself a SavedModel (its versions would lie inside
    another export)."""
    if os.path.isfile(os.path.join(base_dir, "saved_model.pb")):
        parent = os.path.dirname(os.path.normpath(base_dir)) or "."
        raise ValueError(
            f"{os.fspath(base_dir)!r} is a SavedModel itself, not a base folder of versions: "
            f"export into its base folder ({parent!r}) or another one."
        )


def check_new(base_dir, version):
    """The folder of `version` under `base_dir`, if it does not exist yet."""
    final = os.path.join(base_dir, str(version))
    if os.path.exists(final):
        raise ValueError(
            f"Export version {final!r} already exists; choose another version or leave "
            "`version` unset for the next one."
        )
    return final


def write_folder(archive, record, folder):
    """Writes the SavedModel of `archive` (a `keras.export.ExportArchive`) and its record
    (`METADATA`) into `folder`."""
    archive.write_out(folder, verbose=False)
    with open(os.path.join(folder, METADATA), "w") as f:
        json.dump(record, f, indent=1)


def write_version(archive, record, base_dir, version=None):
    """Writes `base_dir/<version>` (default: the next one) under the base's lock.

    The lock (`keras_wgan.utils.locks.exclusive`, waiting up to `LOCK_TIMEOUT` seconds)
    makes two exports into one base choose and write their versions one after the other;
    under it, the `.tmp-*` folders of killed exports are removed. The version is written
    into a dot-named temporary folder (TF Serving ignores it) and renamed into place.

    Returns:
        The version folder's path.
    """
    with exclusive(base_dir, timeout=LOCK_TIMEOUT) as lock:
        remove_stale_temporaries(base_dir, before=lock.started)
        existing = versions(base_dir)
        if version is None:
            version = existing[-1] + 1 if existing else 1
        final = check_new(base_dir, version)
        tmp = temporary_folder(base_dir, str(version))
        try:
            write_folder(archive, record, tmp)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final
