namespace Shoal.Arrays.Graph;

/// <summary>Broadcasting and chunk alignment of an element-wise operation's inputs.</summary>
internal static class Elementwise
{
    /// <summary>
    /// The broadcast shape, the common chunks, and the inputs rechunked where theirs differ (a
    /// clear error if the shapes do not broadcast, before anything is submitted).
    /// </summary>
    public static (Node[] Inputs, long[] Shape, long[][] Chunks) Align(params Node[] inputs)
    {
        var shape = ChunkGrid.Broadcast(inputs.Select(i => i.Shape).ToArray());
        var chunks = ChunkGrid.Unify(shape, inputs);
        var aligned = new Node[inputs.Length];
        for (var i = 0; i < inputs.Length; i++)
        {
            var input = inputs[i];
            var offset = shape.Length - input.Rank;
            var want = new long[input.Rank][];
            var differs = false;
            for (var j = 0; j < input.Rank; j++)
            {
                want[j] = input.Shape[j] == 1 && shape[j + offset] != 1 ? input.Chunks[j] : chunks[j + offset];
                differs |= !ChunkGrid.SameChunks(want[j], input.Chunks[j]);
            }

            aligned[i] = differs ? Structure.Rechunk(input, want) : input;
        }

        return (aligned, shape, chunks);
    }
}
