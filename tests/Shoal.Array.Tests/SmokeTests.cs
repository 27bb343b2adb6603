using Shoal.Arrays;

namespace Shoal.Array.Tests;

public sealed class SmokeTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task Pi_as_the_seed_computes_it()
    {
        const long n = 2_000_000;
        var xxyy = NDArray.Random.Uniform(-1, 1, [2, n], chunks: [2, 300_000], seed: 42);
        var norm = Linalg.Norm(xxyy, axis: 0);
        var inside = await (norm <= 1.0).Sum().ScalarAsync(fixture.Client);
        var pi = 4.0 * inside / n;
        Math.Abs(pi - Math.PI).ShouldBeLessThan(0.01);
        // The same count from the materialized numbers, in memory.
        var values = await xxyy.ComputeAsync(fixture.Client);
        long expected = 0;
        for (long j = 0; j < n; j++)
        {
            var x = values[0, j];
            var y = values[1, j];
            if (Math.Sqrt(x * x + y * y) <= 1) expected++;
        }

        inside.ShouldBe(expected);
    }
}
