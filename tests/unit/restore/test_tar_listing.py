"""NameMatcher: GNU tar's member names against the checked ones, compared as they arrive from two threads."""

from __future__ import annotations

import random
import threading

import pytest

from rescue_tui.restore.tar_listing import NameMatcher


def fed(theirs: list[str], ours: list[str], order: list[bool]) -> NameMatcher:
    """A matcher fed both lists in the interleaving ``order`` gives (True: the next of ours)."""
    matcher = NameMatcher()
    left, right = iter(ours), iter(theirs)
    for is_ours in order:
        if is_ours:
            matcher.ours(next(left))
        else:
            matcher.theirs(next(right))
    return matcher


def orders(ours: int, theirs: int) -> list[list[bool]]:
    """Ours all first, theirs all first, alternating, and a few shuffles."""
    rng = random.Random(5)
    found = [[True] * ours + [False] * theirs, [False] * theirs + [True] * ours]
    alternating = [i % 2 == 0 for i in range(2 * min(ours, theirs))]
    found.append(alternating + [True] * (ours - min(ours, theirs)) + [False] * (theirs - min(ours, theirs)))
    for _ in range(5):
        shuffled = found[0][:]
        rng.shuffle(shuffled)
        found.append(shuffled)
    return found


NAMES = [f"etc/file{i}" for i in range(20)]


def test_the_same_names_in_any_interleaving_agree() -> None:
    for order in orders(20, 20):
        matcher = fed(NAMES, NAMES, order)
        assert matcher.difference(None, verb="lists") is None
        assert (matcher.ours_count, matcher.theirs_count) == (20, 20)


def test_the_first_differing_member_is_named_whoever_was_ahead() -> None:
    theirs = [*NAMES[:7], "../../etc/shadow", *NAMES[8:]]
    want = (
        "GNU tar lists 20 members, the safety check read 20 (first difference at member 8: '../../etc/shadow'"
        " against 'etc/file7'): a corrupt or crafted archive"
    )
    for order in orders(20, 20):
        assert fed(theirs, NAMES, order).difference(None, verb="lists") == want


@pytest.mark.parametrize(
    ("theirs", "ours", "want"),
    [
        (NAMES, NAMES[:12], "GNU tar extracted 20 members, the safety check read 12 (first difference at member 13:"
                            " 'etc/file12' against '(nothing)')"),
        (NAMES[:3], NAMES, "GNU tar extracted 3 members, the safety check read 20 (first difference at member 4:"
                           " '(nothing)' against 'etc/file3')"),
    ],
)  # fmt: skip
def test_one_side_with_more_members_names_the_first_the_other_lacks(
    theirs: list[str], ours: list[str], want: str
) -> None:
    for order in orders(len(ours), len(theirs)):
        assert fed(theirs, ours, order).difference(None, verb="extracted") == want + ": a corrupt or crafted archive"


def test_a_complaint_alone_is_said_and_joins_a_difference() -> None:
    assert fed(NAMES, NAMES, orders(20, 20)[2]).difference("tar: Skipping to next header", verb="lists") == (
        "GNU tar cannot list it: tar: Skipping to next header"
    )
    different = fed(NAMES[:2], NAMES[:1], [True, False, False])
    assert different.difference("exit 2", verb="lists") == (
        "GNU tar lists 2 members, the safety check read 1 (first difference at member 2: 'etc/file1' against"
        " '(nothing)'): a corrupt or crafted archive; exit 2"
    )


def test_two_threads_feeding_the_same_names_agree_and_leave_nothing_held() -> None:
    names = [f"usr/share/doc/{i}" for i in range(100_000)]
    matcher = NameMatcher()
    thread = threading.Thread(target=lambda: [matcher.ours(name) for name in names])
    thread.start()
    for name in names:
        matcher.theirs(name)
    thread.join()
    assert matcher.difference(None, verb="lists") is None
    assert (matcher.ours_count, matcher.theirs_count) == (100_000, 100_000)
    assert not matcher._ahead, "every name matched: none is held"
