import torch
from torch import nn

from torchstart.models import MODELS, TUDUI_LAYERS, Tudui, build_model, count_parameters


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
