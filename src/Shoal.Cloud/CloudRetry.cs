using System.Net;

namespace Shoal.Cloud;

/// <summary>
/// Retries a cloud call that was throttled or met a server error, with capped exponential back-off
/// and full jitter (as the AWS and Google SDKs do); any other refusal goes straight to the caller.
/// </summary>
internal sealed class CloudRetry(int attempts, TimeSpan baseDelay, TimeSpan maxDelay)
{
    public static CloudRetry Default { get; } = new(8, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, Func<CloudApiException, bool> retryable, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(cancellationToken).ConfigureAwait(false);
            }
            catch (CloudApiException e) when (attempt < attempts && (retryable(e) || (int)e.Status >= 500 || e.Status == HttpStatusCode.TooManyRequests))
            {
                var cap = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * cap), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
