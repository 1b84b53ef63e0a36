"""What the machine can hold: settings whose tensors cannot fit are refused before anything
is built, with how much they would need and how much there is."""

import os

#: Bytes of one float32 value, the dtype of the data, the weights and the samples.
FLOAT_BYTES = 4


def physical_memory():
    """The machine's physical memory in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(count):
    """`count` bytes for a person: "512 B", "3.2 GiB", "1.1e+06 TiB".

    Example:
    >>> format_bytes(3 * 2**30)
    '3.0 GiB'
    """
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB" if count < 1e4 else f"{count:.1e} TiB"


def check_fits(needs, memory=None):
    """Raises a `ValueError` if the largest of `needs` exceeds the machine's memory.

    Each need is a tuple (bytes, the arguments that set it as {name: value}, what it is).
    The estimates are lower bounds on the largest tensors a setting implies (a run holds
    more), so a refused setting could not have run.

    Args:
        needs: [(bytes, {argument: value}, description), ...].
        memory: the bytes available; default `physical_memory()` (no check if unknown).

    Example:
    >>> check_fits([(2**40, {"batch_size": 2**30}, "the real data")], memory=2**30)
    Traceback (most recent call last):
    ...
    ValueError: Invalid value for argument `batch_size`. Received: batch_size=1073741824. Expected a size whose tensors fit in memory: the real data would take about 1.0 TiB, and this machine has 1.0 GiB.
    """
    memory = physical_memory() if memory is None else memory
    if memory is None or not needs:
        return
    size, arguments, what = max(needs, key=lambda need: need[0])
    if size <= memory:
        return
    names = " and ".join(f"`{name}`" for name in arguments)
    received = ", ".join(f"{name}={value!r}" for name, value in arguments.items())
    noun = "argument" if len(arguments) == 1 else "arguments"
    raise ValueError(
        f"Invalid value for {noun} {names}. Received: {received}. Expected a size whose "
        f"tensors fit in memory: {what} would take about {format_bytes(size)}, and this machine "
        f"has {format_bytes(memory)}."
    )
