namespace Shoal;

/// <summary>What a gather does with futures that failed or were cancelled (Dask's <c>errors=</c>).</summary>
public enum GatherErrors
{
    /// <summary>Throw the first failed future's exception (in order).</summary>
    Raise,

    /// <summary>Leave them out: their items and dictionary entries are missing from the result.</summary>
    Skip,
}
