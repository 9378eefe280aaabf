"""RecordIO framing of subscription streams (spec §1.4, docs/recordio.md)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler_api.recordio import MAX_LENGTH_DIGITS, RecordIODecoder, RecordIOError, frame


def test_a_record_is_its_decimal_byte_length_a_newline_and_the_bytes() -> None:
    assert frame(b'{"type":"HEARTBEAT"}') == b'20\n{"type":"HEARTBEAT"}'


def test_the_length_counts_utf8_bytes_not_characters() -> None:
    payload = '{"message":"é"}'.encode()
    assert frame(payload) == b"16\n" + payload


def test_no_trailing_newline_and_no_header_between_records() -> None:
    assert frame(b"ab") + frame(b"c") == b"2\nab1\nc"


def test_decoder_returns_each_complete_record() -> None:
    decoder = RecordIODecoder()
    assert decoder.feed(b'20\n{"type":"HEARTBEAT"}2\nab') == [b'{"type":"HEARTBEAT"}', b"ab"]
    assert decoder.buffered == 0
    decoder.close()


def test_decoder_waits_for_the_rest_of_a_split_record() -> None:
    decoder = RecordIODecoder()
    assert decoder.feed(b"1") == []
    assert decoder.feed(b"0\nhello") == []
    assert decoder.feed(b"world3") == [b"helloworld"]
    assert decoder.feed(b"\nxyz") == [b"xyz"]


def test_zero_length_records_are_skipped() -> None:
    assert RecordIODecoder().feed(b"0\n0\n1\na0\n") == [b"a"]


def test_leading_zeros_in_the_length_are_accepted() -> None:
    assert RecordIODecoder().feed(b"002\nab") == [b"ab"]


def test_payload_may_contain_newlines_and_digits() -> None:
    payload = b"12\n34\n"
    assert RecordIODecoder().feed(frame(payload) + frame(payload)) == [payload, payload]


@pytest.mark.parametrize(
    "data",
    [
        b"x\n",  # not a digit
        b"1x\n",
        b"-1\n",
        b" 1\n",
        b"1\r\na",  # CR is not part of the prefix
        b"\nabc",  # empty prefix
        b"1" * (MAX_LENGTH_DIGITS + 1),  # too many digits, even before the newline arrives
        b"1" * (MAX_LENGTH_DIGITS + 1) + b"\n",
    ],
)
def test_malformed_length_prefixes_are_errors(data: bytes) -> None:
    decoder = RecordIODecoder()
    with pytest.raises(RecordIOError):
        decoder.feed(data)
    with pytest.raises(RecordIOError):  # the decoder stays failed
        decoder.feed(b"1\na")


def test_twenty_digit_lengths_are_allowed() -> None:
    decoder = RecordIODecoder()
    assert decoder.feed(b"0" * 19 + b"3\nabc") == [b"abc"]


def test_max_record_size_rejects_large_records_before_buffering_them() -> None:
    decoder = RecordIODecoder(max_record_size=4)
    assert decoder.feed(b"4\nabcd") == [b"abcd"]
    with pytest.raises(RecordIOError):
        decoder.feed(b"5\n")


@pytest.mark.parametrize("tail", [b"5", b"5\n", b"5\nab"])
def test_close_reports_a_truncated_record(tail: bytes) -> None:
    decoder = RecordIODecoder()
    decoder.feed(frame(b"ok") + tail)
    with pytest.raises(RecordIOError):
        decoder.close()


@given(
    records=st.lists(st.binary(min_size=1, max_size=300), max_size=12),
    cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=20),
)
def test_any_chunking_of_a_stream_yields_the_same_records(
    records: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(frame(r) for r in records)
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    decoder = RecordIODecoder()
    out: list[bytes] = []
    for start, end in itertools.pairwise(points):
        out.extend(decoder.feed(stream[start:end]))
    decoder.close()
    assert out == records


@given(st.binary(max_size=200))
def test_feeding_byte_by_byte_equals_feeding_at_once(data: bytes) -> None:
    def run(chunks: list[bytes]) -> list[bytes] | str:
        decoder = RecordIODecoder()
        out: list[bytes] = []
        try:
            for chunk in chunks:
                out.extend(decoder.feed(chunk))
        except RecordIOError:
            return "error"
        return out

    assert run([data]) == run([data[i : i + 1] for i in range(len(data))])
