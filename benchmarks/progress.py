"""One progress bar for the whole run (tqdm, on stderr): clips done and time left.

The bar counts estimated seconds of work rather than clips, so its time-left figure holds
while clips of different lengths and phases of different speed go by.
"""

from __future__ import annotations

import sys
from types import TracebackType

from tqdm import tqdm

BAR_FORMAT = "{desc} {percentage:3.0f}%|{bar}| {postfix} [{elapsed} elapsed, {remaining} left]"


class Progress:
    """`advance(seconds)` after each clip; `phase(name, clips)` when a phase starts."""

    def __init__(self, total_s: float, total_clips: int, *, enabled: bool = True) -> None:
        self._bar = tqdm(
            total=round(total_s, 1),
            unit="s",
            file=sys.stderr,
            disable=not enabled,
            bar_format=BAR_FORMAT,
            dynamic_ncols=True,
        )
        self._total_clips = total_clips
        self._done_clips = 0
        self._phase = ""

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._bar.close()

    def phase(self, name: str) -> None:
        self._phase = name
        self._refresh()

    def advance(self, estimated_s: float, *, clips: int = 1) -> None:
        self._done_clips += clips
        self._bar.update(round(estimated_s, 1))
        self._refresh()

    def _refresh(self) -> None:
        self._bar.set_description_str(self._phase)
        # The total is an estimate: levels of several streams play for a time, not a count.
        self._bar.set_postfix_str(f"clips {self._done_clips}/~{self._total_clips}")
