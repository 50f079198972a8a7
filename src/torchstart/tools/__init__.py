"""The learner's tools around the course: doctor, board (TensorBoard), the runs table, notebook export."""
