namespace BytePiece.Cli;

/// <summary>
/// Writes a dataset index (<see cref="MegatronIndex"/>) from its parts in file order, each fed in batches of any
/// size so nothing is held whole: the sequence lengths; the same lengths again, whose running sum times the token
/// size makes the pointers (as Megatron's <c>_IndexWriter._sequence_pointers</c> computes them); then the document
/// ends. The counts go in the header first, so they are given up front and checked against what was fed.
/// </summary>
internal sealed class MegatronIndexWriter
{
    private readonly Stream _output;
    private readonly long _sequences, _documents;
    private readonly int _itemSize;
    private long[] _buffer = []; // pointers or shifted ends of one batch
    private long _lengthsFed, _pointersFed, _documentsFed = -1; // -1: the leading 0 is not written yet
    private long _pointer, _lastEnd;

    /// <summary>Writes the header.</summary>
    public MegatronIndexWriter(Stream output, byte dtypeCode, long sequences, long documents)
    {
        (_output, _sequences, _documents, _itemSize) = (output, sequences, documents, MegatronIndex.ItemSize(dtypeCode));
        MegatronIndex.WriteHeader(output, dtypeCode, sequences, documents);
    }

    /// <summary>The next sequence lengths.</summary>
    public void AddLengths(ReadOnlySpan<int> lengths)
    {
        if (_pointersFed > 0 || _lengthsFed + lengths.Length > _sequences) throw new InvalidOperationException("lengths out of order or beyond the count");
        LittleEndianItems.Write(_output, lengths);
        _lengthsFed += lengths.Length;
    }

    /// <summary>The pointers of the next sequences, given their lengths (after every length).</summary>
    public void AddPointersOf(ReadOnlySpan<int> lengths)
    {
        if (_lengthsFed != _sequences || _documentsFed >= 0 || _pointersFed + lengths.Length > _sequences) throw new InvalidOperationException("pointers out of order or beyond the count");
        Span<long> pointers = Buffer(lengths.Length);
        for (int k = 0; k < lengths.Length; k++)
        {
            pointers[k] = _pointer;
            _pointer += (long)lengths[k] * _itemSize;
        }
        LittleEndianItems.Write<long>(_output, pointers);
        _pointersFed += lengths.Length;
    }

    /// <summary>
    /// The next documents' ends (the number of sequences before each end) plus <paramref name="shift"/> (the
    /// sequences of the datasets before, when merging); the leading 0 is written before the first.
    /// </summary>
    public void AddDocumentEnds(ReadOnlySpan<long> ends, long shift)
    {
        StartDocuments();
        if (_documentsFed + ends.Length > _documents) throw new InvalidOperationException("more documents than the count");
        Span<long> shifted = Buffer(ends.Length);
        for (int k = 0; k < ends.Length; k++)
        {
            shifted[k] = ends[k] + shift;
            if (shifted[k] < _lastEnd || shifted[k] > _sequences) throw new InvalidOperationException("document ends out of order");
            _lastEnd = shifted[k];
        }
        LittleEndianItems.Write<long>(_output, shifted);
        _documentsFed += ends.Length;
    }

    /// <summary>Checks that everything the header counts was written.</summary>
    public void Finish()
    {
        StartDocuments();
        if (_documentsFed != _documents || _lastEnd != _sequences)
            throw new InvalidOperationException($"index incomplete: {_documentsFed} of {_documents} documents, ending at sequence {_lastEnd} of {_sequences}");
    }

    private Span<long> Buffer(int length)
    {
        if (_buffer.Length < length) _buffer = new long[length];
        return _buffer.AsSpan(0, length);
    }

    private void StartDocuments()
    {
        if (_documentsFed >= 0) return;
        if (_pointersFed != _sequences) throw new InvalidOperationException("documents before every pointer");
        LittleEndianItems.Write<long>(_output, [0]);
        _documentsFed = 0;
    }
}
