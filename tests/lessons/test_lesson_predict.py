"""Lesson 20 (predict): any image mode, the same answer as the model on the training tensor."""


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
