"""The README's "Benchmarking your neural method" example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_benchmarking_example_runs(tmp_path, monkeypatch, capsys):
    text = README.read_text()
    section = text[text.index("### Benchmarking your neural method") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert (tmp_path / "rose.json").is_file() and (tmp_path / "rose.png").is_file()
    assert "binned_l1" in capsys.readouterr().out
    assert namespace["report"].row(0.25, "binned_l1").above_floor
