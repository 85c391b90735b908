"""An eighth final holdout of single-bug submissions, written blind (see README.md)."""
