import os
import re

import numpy as np

README = os.path.join(os.path.dirname(__file__), "..", "README.md")


def python_blocks():
    with open(README) as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)


def test_quick_start_runs(tmp_path, monkeypatch):
    """The README's quick start, shrunk (tiny widths, two steps) but otherwise as written."""
    monkeypatch.chdir(tmp_path)
    code = python_blocks()[0]
    shrunk = (
        code.replace("toy_generator()", "toy_generator(width=8)")
        .replace("toy_critic()", "toy_critic(width=8)")
        .replace("epochs=10, steps_per_epoch=100", "epochs=1, steps_per_epoch=2, verbose=0")
    )
    assert shrunk.count("width=8") == 2 and "steps_per_epoch=2" in shrunk
    scope = {}
    exec(compile(shrunk, "README.md", "exec"), scope)
    assert scope["samples"].shape == (1000, 2) and np.isfinite(scope["samples"]).all()
    assert (tmp_path / "gan.keras").exists()
