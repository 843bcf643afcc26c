"""synthetic.people: UPNs follow the school-start rule for children born in any year."""

from __future__ import annotations

from datetime import date

import numpy as np

from synthetic.calendar import day_number
from synthetic.people import CHILD, PARENT, _draw_upns


def test_upns_only_for_children_who_started_school_before_eligibility_in_any_year() -> None:
    # A grown-up child of the family born in 1935 (school start 1939, long before UPNs: none; this used to fail),
    # one born in 1992 (starts 1996), a child born in August 2020 (starts 1 September 2024) and one born in
    # September 2020 (starts 2025, after eligibility: none); a parent never has one.
    born = np.array([day_number(d) for d in (date(1935, 3, 1), date(1992, 3, 1), date(2020, 8, 31),
                                             date(2020, 9, 1), date(1992, 3, 1))])
    eligibility = np.full(5, day_number(date(2025, 1, 15)))
    role = np.array([CHILD, CHILD, CHILD, CHILD, PARENT])
    present = np.zeros(5, dtype=bool)
    for seed in range(20):  # a share of eligible children have one recorded: over seeds, each eligible one does
        upns = _draw_upns(np.random.default_rng(seed), born, eligibility, role)
        present |= upns.is_not_null().to_numpy()
    assert present.tolist() == [False, True, True, False, False]
