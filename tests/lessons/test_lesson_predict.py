"""Lesson 20 (predict): any image mode, the course's test.py on a photo that is not square, and predict agreeing."""

from torchstart.i18n import using
from torchstart.lessons.predict import describe, run
from torchstart.training.checkpoint import load_checkpoint


def test_rgba_gives_the_same_answer_as_rgb_and_gray_still_works(lesson_result):
    result = lesson_result("predict")
    by_name = {g.image: g for g in result.guesses}
    assert [by_name[n].mode for n in ("cifar_rgb.png", "cifar_rgba.png", "cifar_gray.png")] == ["RGB", "RGBA", "L"]
    assert by_name["cifar_rgba.png"].top == by_name["cifar_rgb.png"].top  # opaque alpha changes nothing
    assert len(by_name["cifar_gray.png"].top) == 3
    assert len(result.guesses) == 4  # + one ant photo


def test_probabilities_are_sorted_and_at_most_one(lesson_result):
    for guess in lesson_result("predict").guesses:
        probs = [p for _, p in guess.top]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6


def test_predict_preprocessing_equals_the_training_tensor(lesson_result):
    result = lesson_result("predict")
    assert result.same_as_predict
    assert result.max_prob_difference < 1e-6
    assert result.true_class == "airplane"  # test image 0 of the embedded sample


def test_the_course_test_py_on_a_photo_that_is_not_square_equals_predict(lesson_result):
    course = lesson_result("predict").course
    assert course.size[0] != course.size[1]  # 224×150: Resize((32, 32)) squashes it
    assert course.shape == [1, 3, 32, 32]
    assert course.predict_resize == "squash"  # the checkpoint records the course's resize
    assert course.predict_difference < 1e-6  # predict is test.py, probability for probability
    assert course.crop_difference > 1e-4  # the centre square is another input: other probabilities
    assert 0.1 <= course.probability <= 1  # the most likely of 10 classes


def test_the_lesson_trains_on_totensor_inputs_and_reports_its_epochs(lesson_result, tmp_path):
    result = lesson_result("predict")
    saved = load_checkpoint(result.checkpoint)
    assert result.trained_here and saved["normalization"] == {"mean": [0.0] * 3, "std": [1.0] * 3}
    lines = []
    again = run(out=tmp_path, checkpoint=result.checkpoint, report=lines.append)
    assert not again.trained_here and lines == []  # a given checkpoint: nothing to train, nothing to report
    assert again.course == result.course


def test_describe_speaks_chinese(lesson_result):
    with using("zh"):
        text = describe(lesson_result("predict"))
    assert "检查点" in text and "真实类别" in text and "Resize((32, 32))" in text
