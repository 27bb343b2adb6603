using System.Net;
using k8s.Autorest;

namespace Shoal.Kubernetes;

/// <summary>Optimistic concurrency as the API server asks for it: on 409 Conflict, read again and apply the change again.</summary>
internal static class KubeRetry
{
    /// <summary>Runs <paramref name="attempt"/> (which must read what it changes) until it is not refused with 409, at most <paramref name="attempts"/> times.</summary>
    public static async Task<T> OnConflictAsync<T>(Func<CancellationToken, Task<T>> attempt, Action<int>? onConflict = null, int attempts = 8, CancellationToken cancellationToken = default)
    {
        for (int i = 1; ; i++)
        {
            try
            {
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && i < attempts)
            {
                onConflict?.Invoke(i);
            }
        }
    }

    public static bool IsNotFound(Exception e) => e is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound };
}
