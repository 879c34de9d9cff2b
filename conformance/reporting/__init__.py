"""What a run reports: verdicts (matrix, JSON report), repro snippets, the regression corpus,
and known deviations."""
