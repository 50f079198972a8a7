"""Exercise 16 (pretrained): VGG16 with a new head and frozen features, built on the meta device.

torchvision's vgg16 is built without weights on the "meta" device — tensors with shapes but no memory — so
the check counts 138 million parameters and runs a forward pass in a moment, offline.
"""

from __future__ import annotations

from types import ModuleType

import torch
from torch import nn
from torchvision.models import vgg16

from torchstart.course.kit import Check, Mistake, Wrong, shape
from torchstart.i18n import N_, _
from torchstart.models import count_parameters

META = torch.device("meta")
VGG16_PARAMETERS = 138_357_544
HEAD_IN = 4096  # what classifier[6] receives


def _adapted(ex: ModuleType, num_classes: int = 10) -> nn.Module:
    with META:  # layers the learner creates inside land on the meta device too
        model = ex.adapt_vgg16(vgg16(weights=None), num_classes)
    if not isinstance(model, nn.Module):
        raise Wrong(_("adapt_vgg16 returned {kind}: return the model").format(kind=type(model).__name__))
    return model


def check_head(ex: ModuleType) -> None:
    model = _adapted(ex)
    head = model.classifier
    if not isinstance(head, nn.Sequential):
        raise Wrong(_("model.classifier is now {kind}, not VGG16's nn.Sequential of 7 layers: replace only its last "
                      "layer, model.classifier[6] = …").format(kind=type(head).__name__))
    if len(head) != 7:
        raise Wrong(_("the classifier has {n} layers, VGG16's has 7: replace classifier[6] instead of adding a layer "
                      "after it (the course adds one; this exercise swaps it)").format(n=len(head)))
    out = model(torch.zeros(2, 3, 224, 224, device=META))
    if tuple(out.shape) != (2, 10):
        raise Wrong(_("two images give {got}, expected (2, 10)").format(got=shape(out)))


def check_num_classes(ex: ModuleType) -> None:
    got = _adapted(ex, 2).classifier[6]
    if not isinstance(got, nn.Linear) or got.out_features != 2:
        raise Wrong(_("adapt_vgg16(model, 2) made classifier[6] = {got}: use num_classes, not a fixed 10").format(
            got=got))


def check_count(ex: ModuleType) -> None:
    got = count_parameters(_adapted(ex))
    want = VGG16_PARAMETERS - (HEAD_IN * 1000 + 1000) + (HEAD_IN * 10 + 10)
    if got != want:
        raise Wrong(_("the model has {got:,} parameters, expected {want:,}: VGG16's {vgg:,} − the old layer's "
                      "4,097,000 + the new one's 40,970").format(got=got, want=want, vgg=VGG16_PARAMETERS))


def check_frozen(ex: ModuleType) -> None:
    with META:
        model = ex.freeze_features(vgg16(weights=None, num_classes=10))  # the 10-class head of check 1
    if not isinstance(model, nn.Module):
        raise Wrong(_("freeze_features returned {kind}: return the model").format(kind=type(model).__name__))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    want = count_parameters(model.classifier)
    if trainable == 0:
        raise Wrong(_("nothing trains now: freeze model.features only — the classifier must still learn"))
    if any(p.requires_grad for p in model.features.parameters()):
        raise Wrong(_("some of model.features still trains: set requires_grad = False on every one of its "
                      "parameters"))
    if trainable != want:
        raise Wrong(_("{got:,} parameters train, expected {want:,} (the classifier's)").format(
            got=trainable, want=want))
    if not all(m.training for m in model.modules()):
        raise Wrong(_("freeze_features put (part of) the model in eval mode: requires_grad = False is what "
                      "freezes; eval() would also switch the classifier's Dropout off while it trains"))


CHECKS = (
    Check(N_("adapt_vgg16: classifier[6] replaced, two images give (2, 10)"), check_head, ("adapt_vgg16",)),
    Check(N_("adapt_vgg16(model, 2) gives 2 outputs: num_classes is used"), check_num_classes, ("adapt_vgg16",)),
    Check(N_("134,301,514 parameters: VGG16's minus the old head plus the new one"), check_count, ("adapt_vgg16",)),
    Check(N_("freeze_features: model.features frozen, the classifier's 119,586,826 parameters train"), check_frozen,
          ("freeze_features",)),
)

MISTAKES = (
    Mistake(N_("a new layer for 1000 inputs: classifier[6] receives 4096"), "nn.Linear(4096, num_classes)",
            "nn.Linear(1000, num_classes)", "receives 4096 features"),
    Mistake(N_("a fixed 10 instead of num_classes"), "nn.Linear(4096, num_classes)", "nn.Linear(4096, 10)",
            "use num_classes"),
    Mistake(N_("the whole model frozen, the head too"), "for p in model.features.parameters():",
            "for p in model.parameters():", "nothing trains"),
    Mistake(N_("the whole classifier replaced instead of its last layer"),
            "model.classifier[6] = nn.Linear(4096, num_classes)", "model.classifier = nn.Linear(25088, num_classes)",
            "replace only its last layer"),
    Mistake(N_("the model put in eval mode to freeze it"), "        p.requires_grad = False\n",
            "        p.requires_grad = False\n    model.eval()\n", "eval mode"),
)
