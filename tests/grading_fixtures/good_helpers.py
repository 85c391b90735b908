"""Imported by good_submission.py as a sibling module."""
HELPER_VALUE = 41.5
