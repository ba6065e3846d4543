"""Text helpers: error normalization merges error classes; tokenization stems."""

from __future__ import annotations

import pytest

from memory_core.text import normalize_error, stem, tokenize


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Connection refused to 10.0.3.7:5432", "Connection refused to 192.168.1.20:6543"),
        ("timeout after 3000 ms", "Timeout after 12.5 ms"),
        ("File /tmp/build_4821/main.rs line 42: bad", "File /home/u/x/lib.rs line 7: bad"),
        ("segfault at 0x7ffe12ab", "segfault at 0xdeadbeef"),
        (
            "object 3f2b1c9e-1111-4222-8333-444455556666 missing",
            "object 00000000-0000-4000-8000-000000000000 missing",
        ),
        ("commit 9fceb02d0ae598e95dc970b74767f19372d61af8 rejected", "commit a1b2c3d4e5 rejected"),
        (r"C:\Users\bob\data.csv not found", r"D:\tmp\x.csv not found"),
        ("src/app/models.py:12: invalid syntax", "lib/core/util.py:7: invalid syntax"),
    ],
)
def test_same_error_class_merges(first: str, second: str) -> None:
    assert normalize_error(first) == normalize_error(second)


def test_different_errors_stay_apart() -> None:
    assert normalize_error("permission denied") != normalize_error("connection refused")


def test_normalized_error_is_bounded() -> None:
    assert len(normalize_error("x" * 1000)) == 200


def test_tokenize_lowercases_stems_and_drops_stopwords() -> None:
    assert tokenize("Build the REST APIs, testing endpoints!") == [
        "build",
        "rest",
        "api",
        "test",
        "endpoint",
    ]
    assert stem("is") == "is"
    assert stem("tested") == "test"
