"""torchstart doctor: the real checks on this machine, and every failure branch driven by monkeypatching."""

import json
import multiprocessing
import re
import shutil

import cv2
import pytest
import torch

from torchstart.cli import main
from torchstart.device import Backend, DeviceCheck
from torchstart.i18n import columns as width
from torchstart.i18n import using
from torchstart.tools import doctor

CHECK_NAMES = ["versions", "cuda", "mps", "xpu", "cpu", "torch.accelerator", "dataloader workers",
               "opencv non-ASCII path", "runs dir", "cifar10", "embedded samples", "ants/bees", "pretrained weights"]


def by_name(checks):
    return {c.name: c for c in checks}


def test_this_machine_is_healthy_and_the_report_says_what_it_tried(capsys, tmp_path):
    runs = tmp_path / "runs"
    assert main(["doctor", "--json", "--runs-dir", str(runs)]) == 0
    report = json.loads(capsys.readouterr().out)
    checks = {c["name"]: c for c in report["checks"]}
    assert list(checks) == CHECK_NAMES and report["healthy"] and report["problems"] == 0
    assert all(c["ok"] and c["fix"] == "" for c in checks.values())
    assert f"torch {torch.__version__}" in checks["versions"]["detail"]
    assert f"opencv {cv2.__version__}" in checks["versions"]["detail"]
    assert checks["cpu"]["detail"] == "built yes, available yes, a matmul on it equals the CPU result"
    workers = checks["dataloader workers"]["detail"]
    assert f"start method {multiprocessing.get_start_method()}" in workers and "(2 worker processes)" in workers
    assert "数据集_图片/蚂蚁.png" in checks["opencv non-ASCII path"]["detail"]
    assert "does not exist yet" in checks["runs dir"]["detail"] and not runs.exists()  # probed, not created
    assert list(tmp_path.iterdir()) == []  # and the probe file is gone
    assert "embedded sample" in checks["cifar10"]["detail"]  # the cache is an empty temp folder in tests
    assert "train/ants 40, train/bees 40, val/ants 20, val/bees 20" in checks["embedded samples"]["detail"]


def fake_backends(cuda_built, cuda_available):
    return lambda: [Backend("cuda", cuda_built, cuda_available), Backend("mps", False, False),
                    Backend("xpu", False, False)]


def test_a_visible_gpu_whose_matmul_fails_is_a_problem_with_the_driver_fix(monkeypatch):
    real_check = doctor.check_device

    def broken_cuda(device):
        if device.type == "cuda":
            return DeviceCheck("cuda", [[10.0, 13.0], [28.0, 40.0]], None, False,
                               "RuntimeError: CUDA error: no kernel image is available for execution on the device")
        return real_check(device)

    monkeypatch.setattr(doctor, "backends", fake_backends(True, True))
    monkeypatch.setattr(doctor, "check_device", broken_cuda)
    checks = by_name(doctor.check_devices())
    assert not checks["cuda"].ok and "no kernel image is available" in checks["cuda"].detail
    assert "driver" in checks["cuda"].fix
    with using("zh"):
        assert "驱动" in by_name(doctor.check_devices())["cuda"].fix
    assert checks["cpu"].ok and checks["mps"].ok and checks["xpu"].ok


def test_a_wrong_result_on_the_device_is_a_problem_too(monkeypatch):
    monkeypatch.setattr(doctor, "backends", fake_backends(True, True))
    monkeypatch.setattr(doctor, "check_device", lambda device: DeviceCheck(
        str(device), [[10.0, 13.0], [28.0, 40.0]], [[0.0, 0.0], [0.0, 0.0]], device.type == "cpu", None))
    cuda = by_name(doctor.check_devices())["cuda"]
    assert not cuda.ok and "got [[0.0, 0.0], [0.0, 0.0]], the CPU says [[10.0, 13.0], [28.0, 40.0]]" in cuda.detail


def test_an_nvidia_gpu_with_a_cpu_only_torch_says_install_the_cuda_build(monkeypatch):
    monkeypatch.setattr(doctor, "backends", fake_backends(False, False))
    monkeypatch.setattr(doctor, "nvidia_gpu_present", lambda: True)
    cuda = by_name(doctor.check_devices())["cuda"]
    assert not cuda.ok and "CPU-only build" in cuda.detail
    assert "pytorch.org/get-started/locally" in cuda.fix


def test_a_cuda_build_that_cannot_see_the_gpu_names_cuda_visible_devices(monkeypatch):
    monkeypatch.setattr(doctor, "backends", fake_backends(True, False))
    monkeypatch.setattr(doctor, "nvidia_gpu_present", lambda: True)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    cuda = by_name(doctor.check_devices())["cuda"]
    assert not cuda.ok and "CUDA_VISIBLE_DEVICES='' hides it" in cuda.detail and "nvidia-smi" in cuda.fix


def test_no_gpu_hardware_is_not_a_problem(monkeypatch):
    monkeypatch.setattr(doctor, "backends", fake_backends(True, False))
    monkeypatch.setattr(doctor, "nvidia_gpu_present", lambda: False)
    assert by_name(doctor.check_devices())["cuda"] == doctor.Check(
        "cuda", True, "built yes, available no (no cuda hardware here)")


def test_missing_torch_accelerator_means_upgrade(monkeypatch):
    monkeypatch.delattr(torch, "accelerator")
    check = doctor.check_accelerator_api()
    assert not check.ok and "older than 2.6" in check.detail and "pip install -U torch" in check.fix


def test_a_package_that_does_not_import_is_named_with_the_reinstall_fix(monkeypatch):
    monkeypatch.setattr(doctor, "PACKAGES", (*doctor.PACKAGES, ("fancyvision", "torchstart_no_such_module")))
    check = doctor.check_versions()
    assert not check.ok and "cannot import fancyvision (ModuleNotFoundError" in check.detail
    assert 'pip install -e ".[dev]"' in check.fix


def test_dataloader_workers_that_die_are_a_problem_with_the_main_guard_fix(monkeypatch):
    class DyingLoader:
        def __init__(self, *args, **kwargs):
            pass

        def __iter__(self):
            raise RuntimeError("DataLoader worker (pid 4242) exited unexpectedly")

    monkeypatch.setattr(doctor, "DataLoader", DyingLoader)
    check = doctor.check_dataloader_workers()
    assert not check.ok and "worker (pid 4242) exited unexpectedly" in check.detail
    assert "if __name__ == '__main__':" in check.fix and "num_workers=0" in check.fix


def test_opencv_that_cannot_read_a_non_ascii_path_is_a_problem(monkeypatch):
    monkeypatch.setattr(cv2, "imdecode", lambda *args, **kwargs: None)
    check = doctor.check_opencv_unicode_path()
    assert not check.ok and "could not read 蚂蚁.png back" in check.detail and "ASCII" in check.fix


def test_plain_imread_failing_is_explained_not_flagged(monkeypatch):
    monkeypatch.setattr(cv2, "imread", lambda *args, **kwargs: None)  # what Windows does with non-ASCII paths
    check = doctor.check_opencv_unicode_path()
    assert check.ok and "plain cv2.imread returns None here" in check.detail


def test_an_unwritable_runs_dir_fails_the_cli_with_exit_1_and_its_fix(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(doctor, "check_dataloader_workers", lambda: doctor.Check("dataloader workers", True, "skipped"))
    blocker = tmp_path / "runs"
    blocker.write_text("a file where the runs folder should be")
    assert main(["doctor", "--runs-dir", str(blocker)]) == 1
    out = capsys.readouterr().out
    fail = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(fail) == 1 and "runs dir" in fail[0] and "cannot write the output directory" in fail[0]
    fix = next(line.strip() for line in out.splitlines() if line.strip().startswith("fix:"))
    assert fix.startswith("fix: run from a folder you can write to") and "doctor --runs-dir DIR" in fix
    assert "--out DIR/<run>" in fix and "train" in fix  # --out is train's option, not doctor's
    assert out.rstrip().endswith("1 problem found — see the fix above")


def test_the_doctor_report_reads_chinese(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(doctor, "check_dataloader_workers", lambda: doctor.Check("dataloader workers", True, "skipped"))
    blocker = tmp_path / "runs"
    blocker.write_text("a file where the runs folder should be")
    assert main(["doctor", "--lang", "zh", "--runs-dir", str(blocker)]) == 1
    lines = capsys.readouterr().out.splitlines()
    checks = [line for line in lines if line.startswith(("正常", "失败"))]
    assert checks[0].startswith("正常  版本  ") and f"torch {torch.__version__}" in checks[0]
    assert checks[4].startswith("正常  cpu  ")
    assert checks[4].endswith("编译支持：是，可用：是，在它上面算的矩阵乘法和 CPU 的结果相同")
    (fail,) = [i for i, line in enumerate(lines) if line.startswith("失败")]
    assert lines[fail].startswith("失败  运行目录  ") and "无法写入" in lines[fail]
    assert lines[fail + 1].strip() == (
        "解决办法：在自己有写权限的目录里运行（cd 到你的项目目录），或者选一个可写的文件夹："
        "torchstart doctor --runs-dir 目录 检查它，torchstart train --out 目录/<运行> 在那里训练")
    assert lines[-1] == "发现 1 个问题 —— 解决办法见上面"
    # the details start in one terminal column although a Chinese name takes two columns per character
    starts = {width(re.match(r"\S+  .+?  +(?=\S)", line).group(0)) for line in checks}
    assert len(starts) == 1 and width(lines[fail + 1][:lines[fail + 1].index("解决办法")]) in starts


def test_data_sources_and_weights_are_reported_where_they_are(tmp_path, monkeypatch, npz_dir):
    (tmp_path / "shared" / "hymenoptera_data" / "train" / "ants").mkdir(parents=True)
    monkeypatch.setenv("TORCHSTART_DATA", str(tmp_path / "shared"))
    checks = by_name(doctor.check_data(npz_dir))
    assert checks["cifar10"].detail == f"full CIFAR-10 at {npz_dir} (npz layout)"
    assert checks["ants/bees"].detail == f"full set at {tmp_path / 'shared' / 'hymenoptera_data'}"

    monkeypatch.delenv("TORCHSTART_DATA")
    data_root = tmp_path / "data"  # laid out like ../shared/data: cifar10/ and hymenoptera_data/ side by side
    shutil.copytree(npz_dir, data_root / "cifar10")
    (data_root / "hymenoptera_data" / "train" / "ants").mkdir(parents=True)
    checks = by_name(doctor.check_data(data_root))
    assert checks["cifar10"].detail == f"full CIFAR-10 at {data_root / 'cifar10'} (npz layout)"
    assert checks["ants/bees"].detail == f"full set at {data_root / 'hymenoptera_data'}"

    empty = tmp_path / "empty"
    empty.mkdir()
    cifar = by_name(doctor.check_data(empty))["cifar10"]
    assert not cifar.ok and "holds neither CIFAR-10 nor ants/bees" in cifar.detail
    assert "train.npz + test.npz" in cifar.fix
    assert by_name(doctor.check_data(data_root / "hymenoptera_data"))["cifar10"].ok  # ants/bees only: fine

    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    (tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth").write_bytes(b"")
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    weights = doctor.check_pretrained_weights()
    assert weights.ok and weights.detail.endswith("checkpoints: resnet18-f37072fd.pth")


@pytest.mark.parametrize("healthy", [True, False])
def test_format_report_prints_fixes_only_for_problems(healthy):
    checks = [doctor.Check("cpu", True, "fine")]
    if not healthy:
        checks.append(doctor.Check("runs dir", False, "read-only", fix="use another folder"))
    text = doctor.format_report(doctor.DoctorReport(checks))
    assert ("fix: use another folder" in text) is (not healthy)
    first = "ok    cpu  fine" if healthy else "ok    cpu       fine"  # names are padded to the longest
    assert text.splitlines()[0] == first
    assert text.splitlines()[-1] == ("healthy: everything the course needs works here" if healthy else
                                     "1 problem found — see the fix above")
