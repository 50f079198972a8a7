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
    freeze_backbone,
    head_layer,
    preprocessing,
    pretrained_weights_status,
    require_pretrained_weights,
    weights_enum,
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


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_registered_model_gives_one_score_per_class_at_its_input_size(name):
    pre = preprocessing(name)
    side = pre[0] if pre else 32
    model = build_model(name, num_classes=3).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, side, side))
    assert out.shape == (2, 3) and torch.isfinite(out).all()
    assert head_layer(model, MODELS[name].head).out_features == 3


def test_imagenet_models_use_what_their_weights_declare():
    assert preprocessing("resnet18") == (224, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    assert preprocessing("tudui") is None


def test_course_model_takes_other_image_sizes_through_an_adaptive_pool():
    model = Tudui().eval()
    x = torch.randn(2, 3, 64, 64)
    features = model.model[:6](x)  # (2, 64, 8, 8)
    expected = model.model[6:](nn.functional.adaptive_max_pool2d(features, 4))
    torch.testing.assert_close(model(x), expected)
    assert model(torch.randn(1, 3, 96, 80)).shape == (1, 10)


def test_freeze_backbone_trains_only_the_head():
    model = build_model("mobilenet_v3_small", num_classes=2)
    trained = freeze_backbone(model, "mobilenet_v3_small")
    assert trained == ["classifier.3.weight", "classifier.3.bias"]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    model.eval()  # BatchNorm running statistics would change in train mode; we test the weights only
    nn.functional.cross_entropy(model(torch.randn(2, 3, 64, 64)), torch.tensor([0, 1])).backward()
    optimizer.step()
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {"classifier.3.weight", "classifier.3.bias"}


def test_pretrained_build_refuses_without_the_cached_file(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(DataError, match="resnet18-f37072fd.pth"):
        build_model("resnet18", num_classes=2, pretrained=True)


def test_pretrained_build_loads_the_cached_file_and_replaces_the_head(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    reference = build_model("mobilenet_v3_small", num_classes=1000)  # stands in for ImageNet weights
    path = pretrained_weights_status(weights_enum("mobilenet_v3_small")).path
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)
    model = build_model("mobilenet_v3_small", num_classes=2, pretrained=True)
    torch.testing.assert_close(model.features[0][0].weight, reference.features[0][0].weight)
    assert model.classifier[3].out_features == 2


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
