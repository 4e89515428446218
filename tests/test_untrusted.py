"""The one sanitizer for untrusted text on its way to exports and terminals (issue 18, attacks 5 and 9)."""

from __future__ import annotations

import pytest

from dwatch.untrusted import for_terminal, plain


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("a\x1b[31mred\x1b[0m", "ared"),  # SGR colour
        ("\x1b]0;owned\x07title", "title"),  # OSC window title, BEL-terminated
        ("\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink, ST-terminated
        ("\x1bcreset", "reset"),  # RIS: the whole sequence, not only ESC
        ("\x9b2Jclear", "clear"),  # 8-bit CSI
        ("\x1b(Bcharset", "charset"),  # charset designation
        ("abc\u202edcba", "abcdcba"),  # bidi override
        ("x\x00y\x08z\x7f\x85", "xyz"),  # C0, DEL, C1
        ("行政许可\t3\n第二行", "行政许可\t3\n第二行"),  # tab and newline are text
    ],
)
def test_plain_removes_escape_control_and_bidi_characters(hostile: str, shown: str) -> None:
    assert plain(hostile) == shown


def test_for_terminal_escapes_rich_markup() -> None:
    assert for_terminal("[/] [bold]标题\x1b[2J") == "\\[/] \\[bold]标题"
