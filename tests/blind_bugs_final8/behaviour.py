"""Does a bug of this set change what the submission computes? The final holdout's
observations (tests/blind_bugs_final/behaviour.py: the first holdout's plus scores around
1000), imported: this set needed no case they lack.

    python -m tests.blind_bugs_final8.behaviour   # per bug: the own outputs it changes
"""

from tests.blind_bugs_final import behaviour
from tests.blind_bugs_final.behaviour import example_baseline, observe, own_changes  # noqa: F401

if __name__ == "__main__":
    from tests.blind_bugs_final8 import bugs

    behaviour.main(bugs)
