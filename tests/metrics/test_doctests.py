"""The Examples sections of the metrics modules run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import eulerflow.metrics

MODULES = [
    importlib.import_module(f"eulerflow.metrics.{m.name}")
    for m in pkgutil.iter_modules(eulerflow.metrics.__path__)
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
