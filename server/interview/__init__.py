"""Interview practice: question bank, delivery metrics, rubric and feedback providers."""
