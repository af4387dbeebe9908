"""Build hook only; the package metadata is in setup.cfg.

``pip install .`` builds in the checkout, and setuptools keeps ``build/lib`` from one build to the
next and puts all of it into the wheel: a module moved or deleted since an earlier build would
still be installed (pypa/setuptools#1871). ``build_py`` here empties ``build/lib`` first.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class FreshBuildPy(build_py):
    def run(self):
        build_lib = Path(self.build_lib).resolve()
        if build_lib.is_dir() and build_lib.is_relative_to(HERE / "build"):
            shutil.rmtree(build_lib)
        super().run()


setup(cmdclass={"build_py": FreshBuildPy})
