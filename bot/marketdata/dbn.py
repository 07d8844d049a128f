"""Databento DBN files (zstd-compressed or raw): stream records, check the schema, detect damage.

Reading is streamed in chunks so memory does not grow with the file.  Every failure (missing file,
not DBN, truncated zstd frame, truncated record, wrong schema) surfaces as `MarketDataError` with
a one-line message; nothing from the decoders leaks out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import databento_dbn as dbn
import zstandard

from bot.marketdata.errors import MarketDataError

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
DBN_MAGIC = b"DBN"
CHUNK_SIZE = 1 << 16  # bytes read from disk at a time
SLICE_SIZE = 1 << 18  # most decompressed bytes handed to the decoder at once (~4,700 MBO records)


def _sliced(data: bytes, size: int = SLICE_SIZE) -> Iterator[bytes]:
    """Bound each decode batch: zstd can expand one read many times over."""
    if len(data) <= size:
        yield data
        return
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield bytes(view[start : start + size])


def _zstd_chunks(first: bytes, fh_read: Iterator[bytes], name: str) -> Iterator[bytes]:
    """Decompress a (possibly multi-frame) zstd stream; a frame cut short is an error."""
    dctx = zstandard.ZstdDecompressor()
    dobj = dctx.decompressobj()
    in_frame = False
    data = first
    while True:
        if not data:
            data = next(fh_read, b"")
            if not data:
                break
        try:
            out = dobj.decompress(data)
        except zstandard.ZstdError as exc:
            raise MarketDataError(f"{name}: corrupt zstd data ({exc})") from None
        data = b""
        if out:
            yield from _sliced(out)
        if dobj.eof:
            data = dobj.unused_data
            dobj = dctx.decompressobj()
            in_frame = False
        else:
            in_frame = True
    if in_frame:
        raise MarketDataError(f"{name}: truncated file (zstd frame cut short)")


def _raw_chunks(path: Path, chunk_size: int) -> Iterator[bytes]:
    """Decompressed bytes of a DBN file, zstd or not, chunk by chunk."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise MarketDataError(f"{path}: cannot open ({exc.strerror})") from None
    with fh:
        reads = iter(lambda: fh.read(chunk_size), b"")
        first = next(reads, b"")
        if first[:4] == ZSTD_MAGIC:
            yield from _zstd_chunks(first, reads, str(path))
        elif first[:3] == DBN_MAGIC:
            yield first
            yield from reads
        elif not first:
            raise MarketDataError(f"{path}: empty file")
        else:
            raise MarketDataError(f"{path}: not a DBN file (neither zstd nor DBN magic bytes)")


def raw_stream(path: Path | str, chunk_size: int = CHUNK_SIZE) -> tuple[bytes, Iterator[bytes]]:
    """A DBN file as (header, the decompressed bytes after it in chunks), for fixed-size decoding.

    The header is the magic, version, length and metadata, exactly as a `DBNDecoder` wants them
    first; chunks split records anywhere.  The same errors as `DbnReader` (missing, empty, not
    DBN, corrupt or truncated zstd); an incomplete header is a truncated file.
    """
    path = Path(path)
    chunks = _raw_chunks(path, chunk_size)
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= 8:
            size = 8 + int.from_bytes(head[4:8], "little")
            if len(head) >= size:
                return head[:size], _prepend(head[size:], chunks)
    raise MarketDataError(f"{path}: truncated file (no complete DBN header)")


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


class DbnReader:
    """One DBN file: `metadata` is read on construction, iterating yields the records once."""

    def __init__(self, path: Path | str, chunk_size: int = CHUNK_SIZE) -> None:
        self.path = Path(path)
        self._chunks = _raw_chunks(self.path, chunk_size)
        self._decoder = dbn.DBNDecoder()
        self._pending: list[dbn.DBNRecord] = []
        self.metadata = self._read_metadata()

    @property
    def schema(self) -> str:
        return str(self.metadata.schema or "")

    def _decode(self, chunk: bytes) -> list[dbn.DBNRecord | dbn.Metadata]:
        try:
            self._decoder.write(chunk)
            return self._decoder.decode()
        except (dbn.DBNError, ValueError) as exc:
            raise MarketDataError(f"{self.path}: corrupt DBN data ({exc})") from None

    def _read_metadata(self) -> dbn.Metadata:
        for chunk in self._chunks:
            batch = self._decode(chunk)
            if batch:
                head = batch[0]
                if not isinstance(head, dbn.Metadata):
                    raise MarketDataError(f"{self.path}: DBN data without metadata")
                self._pending = [r for r in batch[1:] if not isinstance(r, dbn.Metadata)]
                return head
        raise MarketDataError(f"{self.path}: truncated file (no complete DBN header)")

    def require_schema(self, *schemas: str) -> None:
        """Refuse a file of another schema with a message naming both."""
        if self.schema not in schemas:
            wanted = " or ".join(schemas)
            found = self.schema or "unknown"
            raise MarketDataError(f"{self.path}: schema is {found}, need {wanted}")

    def batches(self) -> Iterator[list[dbn.DBNRecord]]:
        """Records in decoded batches, one per chunk read (for callers working batch by batch)."""
        pending, self._pending = self._pending, []
        if pending:
            yield pending
        for chunk in self._chunks:
            batch = [r for r in self._decode(chunk) if not isinstance(r, dbn.Metadata)]
            if batch:
                yield batch
        left = len(self._decoder.buffer())
        if left:
            raise MarketDataError(f"{self.path}: truncated file ({left} bytes of a partial record)")

    def __iter__(self) -> Iterator[dbn.DBNRecord]:
        for batch in self.batches():
            yield from batch
