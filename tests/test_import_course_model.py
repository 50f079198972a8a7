"""`torchstart import-course-model`: the course's own .pth files become checkpoints, without running their pickle.

The course files are made the way a learner makes them: the course's train script, run as its own
Python process, defines `Tudui` in `__main__` (and, as the course's later chapters do, in a `model.py`
that train.py imports with `from model import *`) and calls `torch.save(tudui, ...)`.
"""

import json
import os
import re
import subprocess
import sys

import pytest
import torch
from torch import nn

from torchstart.cli import main
from torchstart.course_import import import_course_model
from torchstart.data import CIFAR10_CLASSES
from torchstart.models import Tudui
from torchstart.training.checkpoint import load_checkpoint, make_checkpoint, model_from_checkpoint, save_checkpoint

COURSE_MODEL = """
import torch
from torch import nn
from torch.nn import Conv2d, Flatten, Linear, MaxPool2d, Sequential


class Tudui(nn.Module):
    def __init__(self):
        super(Tudui, self).__init__()
        self.model = Sequential(
            Conv2d(3, 32, 5, 1, 2),
            MaxPool2d(2),
            Conv2d(32, 32, 5, 1, 2),
            MaxPool2d(2),
            Conv2d(32, 64, 5, 1, 2),
            MaxPool2d(2),
            Flatten(),
            Linear(1024, 64),
            Linear(64, 10),
        )

    def forward(self, x):
        x = self.model(x)
        return x
"""

# The course's train.py and test.py in one script: save the model three ways, then classify one
# 32×32 image with test.py's ToTensor pipeline and a fixed batch, and a 456×336 photo (the size of the
# course's dog.png) with test.py's own Resize((32, 32)) + ToTensor, keeping the inputs and logits to compare.
COURSE_TRAIN = COURSE_MODEL + """
import numpy as np
import torchvision
from PIL import Image

import model  # model.py beside this script: the course's `from model import *` layout

torch.manual_seed(7)
tudui = Tudui()
torch.save(tudui, "tudui_main.pth")  # class __main__.Tudui
torch.save(tudui.state_dict(), "tudui_state.pth")
torch.manual_seed(8)
torch.save(model.Tudui(), "tudui_module.pth")  # class model.Tudui

x = torch.rand(6, 3, 32, 32)
image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8))
image.save("airplane.png")
yy, xx = np.mgrid[0:336, 0:456]  # a wide photo with structure everywhere: squashing and cropping see different things
photo = np.stack([xx * 255 // 455, yy * 255 // 335, (xx // 40 + yy // 30) % 2 * 200], axis=-1)
photo = photo + np.random.default_rng(1).integers(0, 40, photo.shape)
Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).save("dog.png")
transform = torchvision.transforms.Compose([torchvision.transforms.Resize((32, 32)), torchvision.transforms.ToTensor()])
photo_input = torch.reshape(transform(Image.open("dog.png").convert("RGB")), (1, 3, 32, 32))  # test.py, line by line
tudui.eval()
with torch.no_grad():
    image_logits = tudui(torchvision.transforms.ToTensor()(Image.open("airplane.png").convert("RGB")).unsqueeze(0))
    torch.save({"x": x, "main": tudui(x), "module": torch.load("tudui_module.pth", weights_only=False)(x),
                "image": image_logits, "photo_input": photo_input, "photo": tudui(photo_input)}, "reference.pt")
"""


@pytest.fixture(scope="module")
def course_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course")
    (folder / "model.py").write_text(COURSE_MODEL)
    (folder / "train.py").write_text(COURSE_TRAIN)
    subprocess.run([sys.executable, "train.py"], cwd=folder, check=True, timeout=120)
    return folder


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip()


@pytest.mark.parametrize("name,reference", [("tudui_main.pth", "main"), ("tudui_state.pth", "main"),
                                            ("tudui_module.pth", "module")])
def test_imported_model_gives_the_course_models_logits(course_files, tmp_path, capsys, name, reference):
    new = tmp_path / "imported.pt"
    code, out, err = run_cli(["import-course-model", course_files / name, new], capsys)
    assert code == 0, err
    assert out.startswith(f"wrote {new}")
    checkpoint = load_checkpoint(new)  # a normal weights-only torchstart checkpoint
    assert checkpoint["model_name"] == "tudui" and checkpoint["classes"] == list(CIFAR10_CLASSES)
    assert checkpoint["normalization"] == {"mean": [0.0] * 3, "std": [1.0] * 3}  # the course's plain ToTensor
    expected = torch.load(course_files / "reference.pt", weights_only=True)
    with torch.no_grad():
        logits = model_from_checkpoint(checkpoint)(expected["x"])
    # Same weights, same layers: equal up to float summation order (random weights would differ by ~0.1).
    torch.testing.assert_close(logits, expected[reference], rtol=0, atol=1e-6)


def test_predict_with_the_import_matches_the_course_test_script(course_files, tmp_path, capsys):
    new = tmp_path / "imported.pt"
    assert main(["import-course-model", str(course_files / "tudui_main.pth"), str(new)]) == 0
    capsys.readouterr()
    assert main(["predict", str(new), str(course_files / "airplane.png"), "--topk", "10", "--json",
                 "--device", "cpu"]) == 0  # the reference ran on the CPU
    (prediction,) = json.loads(capsys.readouterr().out)["predictions"]
    ours = {top["class"]: top["probability"] for top in prediction["top"]}
    course = torch.softmax(torch.load(course_files / "reference.pt", weights_only=True)["image"][0], dim=0)
    for index, name in enumerate(CIFAR10_CLASSES):
        assert ours[name] == pytest.approx(float(course[index]), abs=1e-6), name


def test_predict_on_a_wide_photo_equals_the_course_test_script(course_files, tmp_path, capsys):
    """test.py squashes a photo to 32×32 (Resize((32, 32))); an imported model records that, so predict does too."""
    from torchstart.data.images import open_rgb
    from torchstart.inference import model_input

    new = tmp_path / "imported.pt"
    assert main(["import-course-model", str(course_files / "tudui_main.pth"), str(new)]) == 0
    checkpoint = load_checkpoint(new)
    assert checkpoint["resize"] == "squash"
    reference = torch.load(course_files / "reference.pt", weights_only=True)
    assert torch.equal(model_input(open_rgb(course_files / "dog.png"), checkpoint, "squash"), reference["photo_input"])
    course = torch.softmax(reference["photo"], dim=1)[0].tolist()

    def predicted(*flags):
        capsys.readouterr()
        assert main(["predict", str(new), str(course_files / "dog.png"), "--topk", "10", "--json", "--device", "cpu",
                     *flags]) == 0
        (prediction,) = json.loads(capsys.readouterr().out)["predictions"]
        ours = {top["class"]: top["probability"] for top in prediction["top"]}
        return [ours[name] for name in CIFAR10_CLASSES]

    assert predicted() == predicted("--resize", "squash") == course  # the same float32 numbers, to the last bit
    cropped = predicted("--resize", "crop")  # shorter side, then the centre: what ImageNet models expect
    assert max(abs(a - b) for a, b in zip(cropped, course)) > 1e-3


def test_a_checkpoint_without_resize_keeps_the_old_crop_and_a_bad_value_is_refused(course_files, tmp_path, capsys):
    from torchstart.data.images import image_to_input, open_rgb
    from torchstart.inference import model_input, resize_mode

    new = tmp_path / "imported.pt"
    import_course_model(course_files / "tudui_main.pth", new)
    checkpoint = load_checkpoint(new)
    old = {key: value for key, value in checkpoint.items() if key != "resize"}  # written before the field existed
    assert resize_mode(old) == "crop" and resize_mode(old, "squash") == "squash"
    photo = open_rgb(course_files / "dog.png")
    assert torch.equal(model_input(photo, old, resize_mode(old)), image_to_input(photo, (32, 32), [0.0] * 3, [1.0] * 3))
    save_checkpoint({**checkpoint, "resize": "stretch"}, tmp_path / "bad.pt")
    code, _, err = run_cli(["predict", tmp_path / "bad.pt", course_files / "dog.png"], capsys)
    assert code == 2 and "resize is 'stretch', not one of squash, crop" in err
    with pytest.raises(SystemExit, match="2"):
        main(["predict", str(new), str(course_files / "dog.png"), "--resize", "stretch"])
    assert "invalid choice: 'stretch'" in capsys.readouterr().err


class Payload:
    """Pickles as a call of `func(*args)`: what an attacker's .pth runs under plain torch.load."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


class CourseLikeWithExtra(nn.Module):
    """The course model plus an attribute that carries the payload."""

    def __init__(self, payload):
        super().__init__()
        self.model = Tudui().model
        self.note = payload


def crafted(kind, marker):
    touch = f"open({str(marker)!r}, 'w').close()"
    return {
        "os.system": {"weights": Payload(os.system, f"touch '{marker}'")},
        "exec": [Payload(exec, touch)],
        "open": {"model.0.weight": Payload(open, str(marker), "w")},
        "model+payload": CourseLikeWithExtra(Payload(exec, touch)),
        "subprocess": Payload(subprocess.call, ["touch", str(marker)]),
    }[kind]


@pytest.mark.parametrize("kind", ["os.system", "exec", "open", "model+payload", "subprocess"])
def test_crafted_files_are_refused_and_their_payload_never_runs(tmp_path, capsys, kind):
    marker = tmp_path / "payload-ran"
    path = tmp_path / "evil.pth"
    torch.save(crafted(kind, marker), path)
    torch.load(path, weights_only=False)  # proof that the payload is real: full pickle runs it
    assert marker.exists()
    marker.unlink()
    code, out, err = run_cli(["import-course-model", path, tmp_path / "new.pt"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    # Refused by name before unpickling, or (a module the learner might have written) when first called.
    assert re.search(f"{re.escape(str(path))} (asks to load .* refusing to unpickle it|needs full pickle)", err), err
    assert not marker.exists() and not (tmp_path / "new.pt").exists()


class Dropper(nn.Module):
    """A learner-looking class whose constructor does something: full pickle would call it."""

    def __init__(self, path):
        super().__init__()
        open(path, "w").close()


def test_a_learner_class_is_never_called(tmp_path, capsys):
    # The file "calls" a class from the learner's module with arguments. The stand-in is called instead
    # (nn.Module() takes no arguments: an error), so no code of the named class runs.
    marker = tmp_path / "payload-ran"
    path = tmp_path / "evil.pth"
    torch.save(Payload(Dropper, str(marker)), path)
    torch.load(path, weights_only=False)
    assert marker.exists()
    marker.unlink()
    code, _, err = run_cli(["import-course-model", path, tmp_path / "new.pt"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err and not marker.exists()


class LearnersTudui(nn.Module):
    """The course's class as a learner's own module defines it (here: this test module)."""

    def __init__(self):
        super().__init__()
        self.model = Tudui().model

    def forward(self, x):
        return self.model(x)


def course_variant(change):
    torch.manual_seed(0)
    model = LearnersTudui()
    change(model)
    return model


@pytest.mark.parametrize("obj,match", [
    (course_variant(lambda m: m.model.insert(1, nn.BatchNorm2d(32))),
     r"asks to load torch\.nn\.modules\.batchnorm\.BatchNorm2d, which no course model contains"),
    (course_variant(lambda m: m.model.insert(1, nn.ReLU())), r"is not the course's CIFAR-10 model \(missing"),
    (course_variant(lambda m: m.model.__setitem__(7, nn.Linear(1024, 32))),
     r"model\.7\.weight is torch\.float32 \(32, 1024\), the course's model needs float \(64, 1024\)"),
    ({k: v.to(torch.int64) for k, v in Tudui().state_dict().items()}, r"model\.0\.weight is torch\.int64"),
    ({"fc.weight": torch.zeros(10, 64)}, r"missing \['model\.0\.bias'"),
    (torch.zeros(3), "holds a Tensor, not a model or a state_dict"),
])
def test_other_models_are_refused_with_the_reason(tmp_path, capsys, obj, match):
    path = tmp_path / "other.pth"
    torch.save(obj, path)
    code, _, err = run_cli(["import-course-model", path, tmp_path / "new.pt"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err
    assert re.search(match, err), err


def test_whole_models_of_a_learners_module_or_torchstarts_own_class(tmp_path, capsys):
    for i, model in enumerate((course_variant(lambda m: None), Tudui())):
        torch.save(model, tmp_path / "whole.pth")
        assert main(["import-course-model", str(tmp_path / "whole.pth"), str(tmp_path / f"new-{i}.pt")]) == 0
        imported = model_from_checkpoint(load_checkpoint(tmp_path / f"new-{i}.pt"))
        for (name, ours), (_, theirs) in zip(imported.state_dict().items(), model.state_dict().items(), strict=True):
            assert torch.equal(ours, theirs), name


def test_a_model_saved_on_a_gpu_imports_on_a_cpu_machine(tmp_path, monkeypatch):
    # The course's GPU training saves tensors tagged "cuda:0"; record that tag without needing a GPU.
    model = course_variant(lambda m: None)
    with monkeypatch.context() as patch:
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        torch.save(model, tmp_path / "tudui_gpu.pth")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):  # what the course's plain torch.load does here
            torch.load(tmp_path / "tudui_gpu.pth", weights_only=False)
    import_course_model(tmp_path / "tudui_gpu.pth", tmp_path / "new.pt")
    imported = model_from_checkpoint(load_checkpoint(tmp_path / "new.pt"))
    assert all(torch.equal(a, b) for a, b in zip(imported.state_dict().values(), model.state_dict().values()))


@pytest.mark.parametrize("content,match", [(b"", "not a readable PyTorch file"),
                                           (b"print('hello')", "not a readable PyTorch file")])
def test_unreadable_files(tmp_path, capsys, content, match):
    path = tmp_path / "bad.pth"
    path.write_bytes(content)
    code, _, err = run_cli(["import-course-model", path, tmp_path / "new.pt"], capsys)
    assert code == 2 and match in err and len(err.splitlines()) == 1


def test_truncated_course_file(course_files, tmp_path, capsys):
    path = tmp_path / "cut.pth"
    path.write_bytes((course_files / "tudui_main.pth").read_bytes()[:20_000])
    code, _, err = run_cli(["import-course-model", path, tmp_path / "new.pt"], capsys)
    assert code == 2 and "not a readable PyTorch file" in err and len(err.splitlines()) == 1


def test_a_torchstart_checkpoint_needs_no_import(tmp_path, capsys):
    path = tmp_path / "ours.pt"
    save_checkpoint(make_checkpoint(Tudui(), model_name="tudui", classes=CIFAR10_CLASSES, mean=(0,) * 3,
                                    std=(1,) * 3), path)
    code, _, err = run_cli(["import-course-model", path, tmp_path / "new.pt"], capsys)
    assert code == 2 and "is already a torchstart checkpoint" in err


def test_output_problems_are_one_line(course_files, tmp_path, capsys):
    old = tmp_path / "tudui.pth"
    old.write_bytes((course_files / "tudui_state.pth").read_bytes())
    code, _, err = run_cli(["import-course-model", old, old], capsys)
    assert code == 2 and "is the file being imported" in err
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = run_cli(["import-course-model", old, blocker / "new.pt"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and f"cannot write {blocker / 'new.pt'}" in err
