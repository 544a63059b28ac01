using System.Collections.Concurrent;

namespace BytePiece.Training;

/// <summary>What one pass over the corpus saw.</summary>
internal readonly record struct PassTotals(long Bytes, long Chunks, long HeldOutChunks, long InvalidSequences);

/// <summary>
/// One pass over a corpus: documents are read and normalized on the calling thread, cut into training
/// chunks, and handed in batches to <c>threads</c> workers. Every <c>holdoutEvery</c>-th chunk (by its
/// index in the corpus) is left out of training and kept, up to a size cap, for evaluation. Which chunk
/// goes where depends only on the text, never on timing, so per-worker sums are deterministic.
/// </summary>
internal static class CorpusPass
{
    public static PassTotals Run(TrainingCorpus corpus, TrainerOptions options, Action<int, ChunkBatch> process,
        Action<long>? bytesDone, ChunkBatch? heldOut, CancellationToken cancellationToken)
    {
        int threads = Math.Max(1, options.Threads);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var queue = new BlockingCollection<ChunkBatch>(2 * threads);
        var free = new ConcurrentQueue<ChunkBatch>(); // batches are recycled: 1 MiB arrays would otherwise pile up as garbage
        Exception? failure = null;
        var workers = new Task[threads];
        for (int w = 0; w < threads; w++)
        {
            int worker = w;
            workers[w] = Task.Factory.StartNew(() =>
            {
                try
                {
                    foreach (ChunkBatch batch in queue.GetConsumingEnumerable(failed.Token))
                    {
                        process(worker, batch);
                        batch.Clear();
                        free.Enqueue(batch);
                    }
                }
                catch (OperationCanceledException) when (failed.IsCancellationRequested) { }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                    failed.Cancel();
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        long bytes = 0, chunks = 0, held = 0, invalid = 0, done = 0;
        var batch = new ChunkBatch();
        var chunker = new TrainingChunker(options.MaxChunkChars, options.MaxNewlinesPerChunk, options.IsolateDigits);
        void OnChunk(ReadOnlySpan<byte> chunk)
        {
            long index = chunks++;
            bytes += chunk.Length;
            if (options.HoldoutEvery > 0 && index % options.HoldoutEvery == options.HoldoutEvery - 1)
            {
                held++;
                if (heldOut is not null && heldOut.Length + chunk.Length <= options.HoldoutMaxBytes) heldOut.Add(chunk);
                return;
            }
            batch.Add(chunk);
            if (batch.Length >= ChunkBatch.TargetBytes)
            {
                queue.Add(batch, failed.Token);
                batch = free.TryDequeue(out ChunkBatch? recycled) ? recycled : new ChunkBatch();
            }
        }

        try
        {
            foreach (Func<Stream> open in corpus.Documents())
            {
                using Stream stream = open();
                var reader = new CorpusTextReader(stream);
                long before = 0;
                while (reader.TryRead(out ReadOnlyMemory<byte> block))
                {
                    failed.Token.ThrowIfCancellationRequested();
                    chunker.Feed(block.Span, OnChunk);
                    done += reader.BytesRead - before;
                    before = reader.BytesRead;
                    bytesDone?.Invoke(done);
                }
                chunker.Finish(OnChunk);
                invalid += reader.InvalidSequences;
            }
            if (batch.Length > 0) queue.Add(batch, failed.Token);
            queue.CompleteAdding();
            Task.WaitAll(workers);
        }
        catch (OperationCanceledException) when (failure is not null)
        {
        }
        finally
        {
            if (!queue.IsAddingCompleted) queue.CompleteAdding();
            failed.Cancel();
            try { Task.WaitAll(workers); } catch (AggregateException) { }
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        cancellationToken.ThrowIfCancellationRequested();
        return new PassTotals(bytes, chunks, held, invalid);
    }
}
