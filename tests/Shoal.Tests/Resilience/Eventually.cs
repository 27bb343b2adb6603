using System.Diagnostics;

namespace Shoal.Tests.Resilience;

/// <summary>Waits for a condition that another thread or process brings about, with a deadline.</summary>
internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task<TimeSpan> HoldsAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        var delay = 1;
        while (!condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for: {what}");
            await Task.Delay(delay);
            delay = Math.Min(20, delay * 2);
        }

        return clock.Elapsed;
    }

    /// <summary>Polls an asynchronous <paramref name="condition"/> until it holds.</summary>
    public static async Task<TimeSpan> HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        var delay = 5;
        while (!await condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for: {what}");
            await Task.Delay(delay);
            delay = Math.Min(50, delay * 2);
        }

        return clock.Elapsed;
    }
}
