namespace Shoal;

/// <summary>When <see cref="Client.WaitAsync{TFuture}(IEnumerable{TFuture}, WaitFor, TimeSpan?, CancellationToken)"/> returns (Dask's <c>return_when</c>).</summary>
public enum WaitFor
{
    /// <summary>When every future finished, failed or was cancelled.</summary>
    AllCompleted,

    /// <summary>When any one future finished, failed or was cancelled.</summary>
    FirstCompleted,

    /// <summary>When any future failed or was cancelled, or else when all finished.</summary>
    FirstException,
}

/// <summary>What <see cref="Client.WaitAsync{TFuture}(IEnumerable{TFuture}, WaitFor, TimeSpan?, CancellationToken)"/> found: the futures done and those not done, each in the order given.</summary>
/// <typeparam name="TFuture">The futures' type.</typeparam>
/// <param name="Done">Finished, failed or cancelled.</param>
/// <param name="NotDone">Still pending.</param>
public sealed record WaitResult<TFuture>(IReadOnlyList<TFuture> Done, IReadOnlyList<TFuture> NotDone)
    where TFuture : Future;
