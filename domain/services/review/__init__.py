"""主管部门审核: reviewers approve or return what the bases of their regions submit.

Reviewers are platform-side people made by the operator, not by a base. A reviewer sees only
submitted things of bases in the regions they cover (no regions: the whole province); anything
else is reported as not found, as another base's objects are to an admin.

What reviewers decide on is ``KINDS``, each a ``ReviewKind`` (``kind.py``: the flow they
share) described in a module of its own; a new kind is one more such module and one more entry
in ``KINDS``. The names below are each kind's entry points, as the rest of cebot calls them.
"""

from __future__ import annotations

from typing import Any

from domain.services.review.classes import (
    CLASS_APPROVED,
    CLASS_RETURNED,
    CLASSES,
    SEE_CLASS,
    Decision,
    ReviewItem,
    approve,
    get_for_review,
    open_plan,
    return_class,
    review_queue,
)
from domain.services.review.kind import About, Decided, Notice, ReviewKind, holders
from domain.services.review.reviewers import (
    ALL_REGIONS,
    activate_reviewer,
    create_reviewer,
    deactivate_reviewer,
    find_reviewer,
    parse_regions,
    reset_reviewer_password,
    set_regions,
)
from domain.services.review.scores import (
    SCORES,
    SCORES_APPROVED,
    SCORES_RETURNED,
    SEE_SCORES,
    ScoresDecision,
    ScoresItem,
    approve_scores,
    export_scores_for_review,
    get_scores_for_review,
    return_scores,
    scores_queue,
)
from domain.services.review.submissions import (
    ANNUAL_APPROVED,
    ANNUAL_RETURNED,
    MATERIAL_APPROVED,
    MATERIAL_RETURNED,
    SEE_SUBMISSION,
    SUBMISSIONS,
    SubmissionDecision,
    SubmissionItem,
    approve_submission,
    get_submission_for_review,
    open_submission_file,
    return_submission,
    submissions_queue,
)

KINDS: tuple[ReviewKind[Any, Any, Any], ...] = (CLASSES, SCORES, SUBMISSIONS)
"""What reviewers decide on, in the order they are shown."""
BY_KEY: dict[str, ReviewKind[Any, Any, Any]] = {kind.key: kind for kind in KINDS}

__all__ = [
    "ALL_REGIONS",
    "ANNUAL_APPROVED",
    "ANNUAL_RETURNED",
    "BY_KEY",
    "CLASSES",
    "CLASS_APPROVED",
    "CLASS_RETURNED",
    "KINDS",
    "MATERIAL_APPROVED",
    "MATERIAL_RETURNED",
    "SCORES",
    "SCORES_APPROVED",
    "SCORES_RETURNED",
    "SEE_CLASS",
    "SEE_SCORES",
    "SEE_SUBMISSION",
    "SUBMISSIONS",
    "About",
    "Decided",
    "Decision",
    "Notice",
    "ReviewItem",
    "ReviewKind",
    "ScoresDecision",
    "ScoresItem",
    "SubmissionDecision",
    "SubmissionItem",
    "activate_reviewer",
    "approve",
    "approve_scores",
    "approve_submission",
    "create_reviewer",
    "deactivate_reviewer",
    "export_scores_for_review",
    "find_reviewer",
    "get_for_review",
    "get_scores_for_review",
    "get_submission_for_review",
    "holders",
    "open_plan",
    "open_submission_file",
    "parse_regions",
    "reset_reviewer_password",
    "return_class",
    "return_scores",
    "return_submission",
    "review_queue",
    "scores_queue",
    "set_regions",
    "submissions_queue",
]
