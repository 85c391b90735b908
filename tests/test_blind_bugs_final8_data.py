"""The eighth final holdout's integrity, checked by the final holdout's checks
(tests/test_blind_bugs_final_data.py): every replacement applies exactly once, names are
unique, labels come from the lists and cover every component and class, no row gives the file
of another row or of any earlier set's row, every buggy source compiles and imports, and every
bug changes what its own component computes.

Nothing here asks what the grader says about these submissions (the diagnosis's figures are in
tests/blind_bugs_final8/README.md).
"""

from tests import blind_sets
from tests.blind_bugs_final8 import bugs
from tests.test_blind_bugs_final_data import IntegrityChecks


class TestEighthFinalHoldout(IntegrityChecks):
    rows = bugs.BUGS
    earlier = blind_sets.rows_before("final8")
    # written with 67 rows beside the seventh set, in parallel: the 11 that gave exactly the
    # file of one of its rows were removed at the merge (README.md), which leaves some
    # components and classes below what the writer aimed at
    min_bugs, min_per_component, min_per_class = 56, 5, 1
