"""What both the plan or summary screen and a material's card show: one file, who sent it when."""

from __future__ import annotations

from typing import Final

from bot.i18n import N_, Translator
from domain.model import SubmissionFile
from domain.services import submissions
from domain.uploads import human_size

VERSIONS_SHOWN: Final = 6
"""Earlier versions (or replaced and removed files) listed; the history keeps them all."""


def file_line(entry: SubmissionFile, view: submissions.SubmissionView, t: Translator) -> str:
    return t(
        N_("{name}（{size}，{who} 于 {at} 上传）"),
        name=entry.stored.original_name,
        size=human_size(entry.stored.size),
        who=view.name_of(entry.added_by),
        at=entry.added_at,
    )
