"""The wheel carries the course site's pages that live outside src/: the READMEs, docs/ and benchmarks/.

Everything else about the package is in pyproject.toml. `torchstart docs` builds the site from the installed
package; from a checkout (an editable install) it reads these files where they are, so they are kept in one
place — the repository's root, where contributors edit them — and copied into torchstart/site_sources/ only as a
wheel is built (tools/site/build.py looks there first).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SITE_SOURCES = ("README.md", "README.en.md", "docs", "benchmarks")  # the site's pages, pictures and linked files


class BuildPyWithSiteSources(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        target = Path(self.build_lib) / "torchstart" / "site_sources"
        shutil.rmtree(target, ignore_errors=True)
        for name in SITE_SOURCES:
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(ROOT / name, target / name)


setup(cmdclass={"build_py": BuildPyWithSiteSources})
