"""Grading untrusted student code: the sandbox (parent side) and the child it runs."""
