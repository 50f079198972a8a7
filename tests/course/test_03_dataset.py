"""Lesson 3 (dataset): the course's toy CustomDataset and drop_last; label = folder name, concatenation, RGB
conversion, batching, workers under the __main__ guard — read from the executed script."""

import ast
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

import torchstart
from conftest import shared_data
from torchstart.course import find_chapter
from torchstart.course.execute import run_cells
from torchstart.course.literate import code


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(3).namespace


def test_toy_dataset_in_batches_of_three_with_and_without_drop_last(ns):
    assert ns["toy_length"] == len(ns["dataset"]) == 8
    assert ns["toy_batches"] == [[1, 2, 3], [4, 5, 6], [7, 8]]  # 8 = 3 + 3 + 2, in order (shuffle=False)
    assert ns["toy_batches_drop_last"] == [[1, 2, 3], [4, 5, 6]]  # the short [7, 8] is dropped


def test_toy_shuffle_keeps_the_sizes_and_every_number_once(ns):
    shuffled = ns["toy_batches_shuffled"]
    assert [len(batch) for batch in shuffled] == [3, 3, 2]
    assert sorted(n for batch in shuffled for n in batch) == ns["data"] and shuffled != ns["toy_batches"]

    def batches(**kwargs):
        loader = DataLoader(ns["dataset"], batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(0),
                            **kwargs)
        return [batch.tolist() for batch in loader]

    assert batches() == shuffled  # seeded: the same on every run
    assert [len(batch) for batch in batches(drop_last=True)] == [3, 3]


def test_sample_counts_concat_and_first_item(ns):
    assert (ns["ants_size"], ns["bees_size"], ns["train_size"]) == (40, 40, 80)
    assert ns["first_label"] == "ants" and ns["first_size"] == (224, 149)
    train = ns["train_dataset"]
    assert train[39][1] == "ants" and train[40][1] == "bees"  # the ants first, then the bees
    assert ns["ants_dataset"].img_names == sorted(ns["ants_dataset"].img_names)


def test_every_mode_comes_back_as_rgb(ns):
    assert ns["modes_on_disk"]["P"] == 1  # the palette GIF kept in the sample on purpose
    assert sum(ns["modes_on_disk"].values()) == 80
    assert ns["modes_returned"] == ["RGB"]


def test_pil_images_do_not_collate_but_tensors_do(ns):
    assert "default_collate" in ns["collate_error"] and "PIL" in ns["collate_error"]
    imgs = ns["imgs"]
    assert imgs.shape == (8, 3, 64, 64) and 0 <= imgs.min() and imgs.max() <= 1
    assert isinstance(ns["labels"], tuple) and len(ns["labels"]) == 8  # strings are collected, not stacked
    assert set(ns["labels"]) == {"ants", "bees"}


def test_worker_processes_deliver_every_image_imagefolder_lists(ns):
    image_folder = ns["image_folder"]
    assert image_folder.classes == ["ants", "bees"]
    assert ns["worker_images"] == len(image_folder) == 79
    listed = {Path(path).name for path, _target in image_folder.samples}
    on_disk = set(ns["ants_dataset"].img_names) | set(ns["bees_dataset"].img_names)
    assert on_disk - listed == {"imageNotFound.gif"}  # ImageFolder knows no .gif
    assert ns["start_method"] in ("fork", "spawn", "forkserver")


def test_the_workers_sit_under_the_main_guard():
    tree = ast.parse(code(find_chapter(3), "en"))
    guards = [node for node in tree.body
              if isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'"]
    assert len(guards) == 1 and "num_workers=2" in ast.unparse(guards[0])
    outside = "\n".join(ast.unparse(node) for node in tree.body if node not in guards)
    assert "num_workers" not in outside


@pytest.mark.realdata
def test_full_set_is_124_ants_plus_121_bees(monkeypatch, tmp_path):
    full = shared_data("hymenoptera_data")
    monkeypatch.setattr(torchstart, "sample", lambda name: full)  # the one line a learner changes
    ns = run_cells(find_chapter(3), "en", tmp_path).namespace
    assert (ns["ants_size"], ns["bees_size"], ns["train_size"]) == (124, 121, 245)
    assert ns["modes_returned"] == ["RGB"] and ns["worker_images"] == len(ns["image_folder"]) == 244
