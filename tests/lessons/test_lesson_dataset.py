"""Lesson 3 (dataset): the course's toy CustomDataset and drop_last; label = folder name, concatenation,
RGB conversion, batching, workers."""

import pytest

from conftest import shared_data
from torchstart.lessons.dataset import BATCH_SIZE, SIZE, TOY_DATA, CustomDataset, run, toy_batches


def test_toy_dataset_in_batches_of_three_with_and_without_drop_last(lesson_result):
    result = lesson_result("dataset")
    assert result.toy_length == len(CustomDataset(TOY_DATA)) == 8
    assert result.toy_batches == [[1, 2, 3], [4, 5, 6], [7, 8]]  # 8 = 3 + 3 + 2, in order (shuffle=False)
    assert result.toy_batches_drop_last == [[1, 2, 3], [4, 5, 6]]  # the short [7, 8] is dropped


def test_toy_shuffle_keeps_the_sizes_and_every_number_once(lesson_result):
    shuffled = lesson_result("dataset").toy_batches_shuffled
    assert [len(batch) for batch in shuffled] == [3, 3, 2]
    assert sorted(n for batch in shuffled for n in batch) == TOY_DATA and shuffled != [[1, 2, 3], [4, 5, 6], [7, 8]]
    assert toy_batches(shuffle=True) == shuffled  # seeded: the same on every run
    assert [len(batch) for batch in toy_batches(shuffle=True, drop_last=True)] == [3, 3]


def test_sample_counts_concat_and_first_item(lesson_result):
    result = lesson_result("dataset")
    assert (result.ants, result.bees, result.train) == (40, 40, 80)
    assert result.first_label == "ants" and min(result.first_size) > 0


def test_every_mode_comes_back_as_rgb(lesson_result):
    result = lesson_result("dataset")
    assert result.modes_on_disk.get("P") == 1  # the palette GIF kept in the sample on purpose
    assert sum(result.modes_on_disk.values()) == 80
    assert result.modes_returned == ["RGB"]


def test_pil_images_do_not_collate_but_tensors_do(lesson_result):
    result = lesson_result("dataset")
    assert "default_collate" in result.collate_error and "PIL" in result.collate_error
    assert result.batch_shape == [BATCH_SIZE, 3, SIZE, SIZE]
    assert set(result.batch_labels) <= {"ants", "bees"} and len(result.batch_labels) == BATCH_SIZE


def test_worker_processes_deliver_every_image(lesson_result):
    result = lesson_result("dataset")
    assert result.worker_images == 80
    assert result.start_method in ("fork", "spawn", "forkserver")


@pytest.mark.realdata
def test_full_set_is_124_ants_plus_121_bees(tmp_path):
    result = run(out=tmp_path, data_dir=shared_data("hymenoptera_data"))
    assert (result.ants, result.bees, result.train) == (124, 121, 245)
    assert result.modes_returned == ["RGB"] and result.worker_images == 245
