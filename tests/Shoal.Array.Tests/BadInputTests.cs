using Shoal.Arrays;

namespace Shoal.Array.Tests;

/// <summary>
/// Bad input fails with a clear message while the expression is built: no client is involved
/// before ComputeAsync, so nothing has been submitted when these throw.
/// </summary>
public sealed class BadInputTests
{
    private static readonly NDArray<double> A = NDArray.Random.Uniform(0, 1, [4, 6], chunks: [2, 3], seed: 1);

    [Fact]
    public void Shapes_that_do_not_broadcast()
    {
        var b = NDArray.Ones<double>([4, 5]);
        Should.Throw<ArgumentException>(() => A + b).Message.ShouldContain("cannot be broadcast");
        Should.Throw<ArgumentException>(() => A < NDArray.Ones<double>([3, 6])).Message.ShouldContain("(4, 6) and (3, 6)");
        Should.Throw<ArgumentException>(() => NDArray.Where(A > 0.5, A, NDArray.Zeros<double>([6, 4])));
    }

    [Fact]
    public void Axes_out_of_range()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => A.Sum([2])).Message.ShouldContain("axis 2 is out of range for an array of 2 axes");
        Should.Throw<ArgumentOutOfRangeException>(() => A.Mean([-3]));
        Should.Throw<ArgumentOutOfRangeException>(() => A.ArgMax(5));
        Should.Throw<ArgumentException>(() => A.Sum([1, 1])).Message.ShouldContain("repeated");
        Should.Throw<ArgumentOutOfRangeException>(() => Linalg.Norm(A, axis: 3));
        Should.Throw<ArgumentException>(() => A.Transpose(0, 0));
        Should.Throw<ArgumentOutOfRangeException>(() => NDArray.Concatenate([A, A], 2));
    }

    [Fact]
    public void Chunks_that_do_not_divide_a_reshape()
    {
        Should.Throw<ArgumentException>(() => A.Reshape(24)).Message.ShouldContain("Rechunk");
        var rows = NDArray.Random.Uniform(0, 1, [6, 4], chunks: [3, 4], seed: 2);
        Should.Throw<ArgumentException>(() => rows.Reshape(3, 8)).Message.ShouldContain("not a whole number of rows");
        Should.Throw<ArgumentException>(() => rows.Reshape(5, 5)).Message.ShouldContain("cannot reshape an array of size 24");
        rows.Reshape(12, 2).Shape.ShouldBe([12L, 2]);
    }

    [Fact]
    public void Other_mistakes()
    {
        Should.Throw<ArgumentException>(() => Linalg.MatMul(A, A)).Message.ShouldContain("inner dimensions 6 and 4 differ");
        Should.Throw<ArgumentException>(() => NDArray.Zeros<double>([3, 4], chunks: [2])).Message.ShouldContain("1 chunk lengths for an array of 2 axes");
        Should.Throw<ArgumentException>(() => NDArray.Zeros<double>([3, -1]));
        Should.Throw<ArgumentException>(() => A.Rechunk([[4], [2, 2]])).Message.ShouldContain("do not add up");
        Should.Throw<ArgumentException>(() => NDArray.Zeros<double>([0]).Max()).Message.ShouldContain("no identity");
        Should.Throw<ArgumentException>(() => NDArray.Arange<long>(0, 10, 0));
        Should.Throw<NotSupportedException>(() => NDArray.Ones<long>([3]) / NDArray.Ones<long>([3]));
        Should.Throw<ArgumentException>(() => A.Slice((0, 4, -1)));
        Should.Throw<ArgumentOutOfRangeException>(() => A.Sum(splitEvery: 1));
        Should.Throw<NotSupportedException>(() => NDArray.Zeros<decimal>([2]));
    }
}
