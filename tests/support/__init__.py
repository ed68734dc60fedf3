"""What several test modules share: site checkers, fixture-site builds, the real-bug corpora."""
