using System.Text;

namespace BytePiece.LmTools.Continuation;

/// <summary>
/// BytePiece models for the continuation fix: prompts are bytes (text is NFC-normalized as the model
/// says), every byte offset is a node, and earlier chunks are final (no token crosses a chunk boundary).
/// </summary>
internal sealed class BytePiecePromptModel(BytePieceTokenizer tokenizer) : PromptModel
{
    public override VocabularyView Vocabulary { get; } = new(tokenizer.Model);

    public override int BosId => SpecialTokens.BosId;

    public override PromptLattice Prepare(string prompt) => new Lattice(tokenizer, Encoding.UTF8.GetBytes(
        tokenizer.Model.Normalization == TextNormalization.Nfc ? prompt.Normalize(NormalizationForm.FormC) : prompt));

    public override PromptLattice Prepare(ReadOnlySpan<byte> prompt) => new Lattice(tokenizer, prompt.ToArray());

    private sealed class Lattice : PromptLattice
    {
        private readonly UnigramModel _model;
        private readonly List<int> _closedIds;
        private readonly int[] _back;
        private readonly int _length;

        public Lattice(BytePieceTokenizer tokenizer, byte[] prompt)
        {
            Prompt = prompt;
            _model = tokenizer.Model;
            _length = prompt.Length;
            int start = 0;
            // Chunks end after a \n run followed by another byte: everything before the last such end is final.
            for (int end; start < prompt.Length && (end = Chunker.ChunkEnd(prompt, start)) < prompt.Length;) start = end;
            OpenStart = start;
            _closedIds = [.. tokenizer.EncodeBytes(prompt.AsSpan(0, start))];
            ReadOnlySpan<byte> chunk = prompt.AsSpan(start);
            var best = new double[chunk.Length + 1];
            _back = new int[chunk.Length + 1];
            best.AsSpan(1).Fill(double.NegativeInfinity);
            Viterbi.ProcessStarts(_model, chunk, best, _back, 0, chunk.Length);
        }

        public override bool IsNode(int k) => k >= OpenStart && k <= _length;

        public override IReadOnlyList<int> TokenStarts()
        {
            var starts = new List<int>();
            for (int e = _length - OpenStart; e > 0;)
            {
                e -= _model.PieceLength(_model.Trie.PieceAt[_back[e]]);
                starts.Add(OpenStart + e);
            }
            starts.Reverse();
            return starts;
        }

        public override List<int>[] PathIds(IReadOnlyList<int> cuts)
        {
            var paths = new List<int>[cuts.Count];
            for (int i = 0; i < cuts.Count; i++)
            {
                var tail = new List<int>();
                for (int e = cuts[i] - OpenStart; e > 0;)
                {
                    int piece = _model.Trie.PieceAt[_back[e]];
                    tail.Add(_model.IdOfPiece(piece));
                    e -= _model.PieceLength(piece);
                }
                tail.Reverse();
                paths[i] = [.. _closedIds, .. tail];
            }
            return paths;
        }
    }
}
