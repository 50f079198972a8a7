"""`torchstart.sample(name)`: the folder a chapter's code reads its data from, offline.

A chapter's script gets its data through one visible line, `root = torchstart.sample("hymenoptera")`,
so the code a learner copies runs from any folder without a download. With the full data set the
learner changes that one line to the set's own folder (e.g. `root = "hymenoptera_data"`).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from ..i18n import _

SAMPLES = ("hymenoptera", "cifar10")


def sample(name: str) -> Path:
    """The embedded sample `name` as a folder the course's own code reads.

    "hymenoptera": the ants/bees sample, laid out like hymenoptera_data (train/ants, train/bees, val/…).
    "cifar10": a folder holding cifar-10-batches-py/ (torchvision's CIFAR10 layout) made once, in the cache,
    from the embedded 2,000 + 500 real CIFAR-10 images, read by `torchstart.CIFAR10(root, download=False)`.
    """
    if name == "hymenoptera":
        from .hymenoptera import hymenoptera_sample_root

        return hymenoptera_sample_root()
    if name == "cifar10":
        from .cifar10 import load_sample
        from .torchvision_files import torchvision_copy

        return torchvision_copy(load_sample()).root
    raise ConfigError(_("there is no sample {name!r}").format(name=name),
                      _("use one of: {names}").format(names=", ".join(SAMPLES)))

