"""The seventh final holdout's integrity, checked by the final holdout's checks
(tests/test_blind_bugs_final_data.py): every replacement applies exactly once, names are
unique, labels come from the lists and cover every component and class, no row gives the file
of another row or of any earlier set's row (the sixth final holdout included), every buggy
source compiles and imports, and every bug changes what its own component computes.

Nothing here asks what the grader says about these submissions (the diagnosis's figures are in
tests/blind_bugs_final7/README.md).
"""

from tests import blind_sets
from tests.blind_bugs_final7 import bugs
from tests.test_blind_bugs_final_data import IntegrityChecks


class TestSeventhFinalHoldout(IntegrityChecks):
    rows = bugs.BUGS
    earlier = blind_sets.rows_before("final7")
