import pytest
import torch
from torch import nn
from torchvision.models import ResNet18_Weights, VGG16_Weights

from torchstart.errors import DataError
from torchstart.models import (
    MODELS,
    TUDUI_LAYERS,
    Tudui,
    build_model,
    count_parameters,
    pretrained_weights_status,
    require_pretrained_weights,
)


class CourseModule(nn.Module):
    """The network exactly as chapter 十三 of the course writes it."""

    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))

    def forward(self, x):
        return self.model(x)


def test_course_model_shape_and_parameter_count():
    model = build_model("tudui")
    assert model(torch.ones(64, 3, 32, 32)).shape == (64, 10)
    assert count_parameters(model) == 145_578


def test_same_layers_and_names_as_the_course_code():
    ours, course = Tudui(), CourseModule()
    assert str(ours.model) == str(course.model)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
        (k, v.shape) for k, v in course.state_dict().items()]
    ours.load_state_dict(course.state_dict())  # a course state_dict loads as is
    x = torch.randn(4, 3, 32, 32)
    torch.testing.assert_close(ours(x), course(x))


def test_no_activations_as_in_the_course():
    kinds = {kind for kind, *_ in TUDUI_LAYERS}
    assert kinds == {"conv", "pool", "flatten", "linear"}


def test_every_registered_model_builds_with_other_class_counts():
    for name in MODELS:
        out = build_model(name, num_classes=3)(torch.randn(2, 3, 32, 32))
        assert out.shape == (2, 3) and torch.isfinite(out).all()


def test_uncached_weights_say_which_file_to_download_from_where(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    status = pretrained_weights_status(VGG16_Weights.DEFAULT)
    assert status == (False, tmp_path / "checkpoints" / "vgg16-397923af.pth",
                      "https://download.pytorch.org/models/vgg16-397923af.pth")
    with pytest.raises(DataError) as err:
        require_pretrained_weights(VGG16_Weights.DEFAULT)
    message = str(err.value)
    assert "vgg16-397923af.pth" in message and str(tmp_path / "checkpoints") in message
    assert "https://download.pytorch.org/models/vgg16-397923af.pth" in message
    assert "weights=None" in err.value.fix


def test_cached_weights_are_found_where_torch_hub_looks(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    cached = tmp_path / "checkpoints" / "resnet18-f37072fd.pth"  # the file name at the end of the URL
    cached.parent.mkdir()
    torch.save({"marker": torch.tensor([7])}, cached)  # a stand-in: detection never reads the file
    status = pretrained_weights_status(ResNet18_Weights.DEFAULT)
    assert status.available and status.path == cached
    assert require_pretrained_weights(ResNet18_Weights.DEFAULT) == cached
    assert not pretrained_weights_status(VGG16_Weights.DEFAULT).available  # another enum, another file
    # torch itself takes the same file instead of downloading: the stand-in comes back
    loaded = torch.hub.load_state_dict_from_url(ResNet18_Weights.DEFAULT.url, progress=False, weights_only=True)
    assert loaded["marker"].item() == 7
