"""The sixth final holdout's integrity, checked by the final holdout's checks
(tests/test_blind_bugs_final_data.py): every replacement applies exactly once, names are
unique, labels come from the lists and cover every component and class, no row gives the file
of another row or of any earlier set's row (the fifth final holdout included), every buggy
source compiles and imports, and every bug changes what its own component computes.

Nothing here asks what the grader says about these submissions: the set measures the grader's
diagnosis and must never be used to tune it (tests/blind_bugs_final6/README.md).
"""

from tests.blind_bugs import bugs as blind_bugs
from tests.blind_bugs_final import bugs as final_bugs
from tests.blind_bugs_final2 import bugs as final2_bugs
from tests.blind_bugs_final3 import bugs as final3_bugs
from tests.blind_bugs_final4 import bugs as final4_bugs
from tests.blind_bugs_final5 import bugs as final5_bugs
from tests.blind_bugs_final6 import bugs
from tests.blind_bugs_holdout import bugs as holdout_bugs
from tests.test_blind_bugs_final_data import IntegrityChecks


class TestSixthFinalHoldout(IntegrityChecks):
    rows = bugs.BUGS
    earlier = (blind_bugs.BUGS + holdout_bugs.BUGS + final_bugs.BUGS + final2_bugs.BUGS
               + final3_bugs.BUGS + final4_bugs.BUGS + final5_bugs.BUGS)
