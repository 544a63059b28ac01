#!/usr/bin/python3
"""An independent reader of Megatron-LM indexed datasets (PREFIX.bin + PREFIX.idx), for the tests.

Written from Megatron-LM's megatron/core/datasets/indexed_dataset.py only (never from the code under test):
the header read with struct as _IndexReader reads it, the arrays and the tokens taken from numpy.memmap buffers
with numpy.frombuffer as _IndexReader and _MMapBinReader take them. It also checks what Megatron's reader takes
on trust: that the files hold exactly what the header counts, that the pointers are the running byte sum of the
lengths (what _IndexWriter writes), and that the document indices start at 0, never go down and end at the
sequence count. Prints the dataset as one JSON object: dtype, the three arrays, and each document's tokens
(its sequences one after the other).

Usage: /usr/bin/python3 megatron_reader.py PREFIX
"""
import json
import struct
import sys

import numpy

# Megatron-LM's DType codes (megatron/core/datasets/indexed_dataset.py, class DType).
DTYPES = {1: numpy.uint8, 2: numpy.int8, 3: numpy.int16, 4: numpy.int32, 5: numpy.int64,
          6: numpy.float64, 7: numpy.float32, 8: numpy.uint16}


def read(prefix):
    idx_path, bin_path = prefix + ".idx", prefix + ".bin"
    with open(idx_path, "rb") as stream:
        assert stream.read(9) == b"MMIDIDX\x00\x00", "bad header"
        assert struct.unpack("<Q", stream.read(8))[0] == 1, "bad version"
        dtype = DTYPES[struct.unpack("<B", stream.read(1))[0]]
        sequence_count = struct.unpack("<Q", stream.read(8))[0]
        document_count = struct.unpack("<Q", stream.read(8))[0]
        offset = stream.tell()
    index = memoryview(numpy.memmap(idx_path, mode="r", order="C"))
    lengths = numpy.frombuffer(index, dtype=numpy.int32, count=sequence_count, offset=offset)
    pointers = numpy.frombuffer(index, dtype=numpy.int64, count=sequence_count, offset=offset + lengths.nbytes)
    documents = numpy.frombuffer(index, dtype=numpy.int64, count=document_count,
                                 offset=offset + lengths.nbytes + pointers.nbytes)
    assert len(index) == offset + lengths.nbytes + pointers.nbytes + documents.nbytes, "bytes after the document indices"

    itemsize = numpy.dtype(dtype).itemsize
    expected_pointers = numpy.concatenate(([0], numpy.cumsum(lengths, dtype=numpy.int64)[:-1])) * itemsize
    assert numpy.array_equal(pointers, expected_pointers[:sequence_count]), "pointers are not the running sum of the lengths"
    assert document_count >= 1 and documents[0] == 0, "the document indices do not start at 0"
    assert numpy.all(numpy.diff(documents) >= 0) and documents[-1] == sequence_count, "document indices out of order"

    data_length = int(numpy.sum(lengths, dtype=numpy.int64)) * itemsize
    with open(bin_path, "rb") as stream:
        assert len(stream.read()) == data_length, "the .bin does not hold exactly the tokens the lengths count"
    # numpy cannot map an empty file (nor can Megatron's _MMapBinReader): an empty .bin has no tokens to read.
    data = memoryview(numpy.memmap(bin_path, mode="r", order="C")) if data_length > 0 else None

    def sequence(i):
        return numpy.frombuffer(data, dtype=dtype, count=int(lengths[i]), offset=int(pointers[i]))

    tokens = [[int(t) for s in range(documents[d], documents[d + 1]) for t in sequence(s)]
              for d in range(document_count - 1)]
    return {
        "dtype": numpy.dtype(dtype).name,
        "lengths": lengths.tolist(),
        "pointers": pointers.tolist(),
        "document_indices": documents.tolist(),
        "documents": tokens,
    }


if __name__ == "__main__":
    json.dump(read(sys.argv[1]), sys.stdout)
