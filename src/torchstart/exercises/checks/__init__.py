"""One module per exercise, named after its lesson: `CHECKS` (run in order) and `MISTAKES` (planted in the tests)."""
