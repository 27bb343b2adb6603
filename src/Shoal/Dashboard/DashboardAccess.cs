using System.Net;
using Microsoft.AspNetCore.Http;

namespace Shoal.Dashboard;

/// <summary>
/// Who may do what on the dashboard. On loopback it is open to the local user (as the token file
/// in ~/.shoal is); anywhere else every request but <c>/health</c> and <c>/login</c> needs a bearer
/// token or the session cookie a one-time code opened. Changes to the cluster are POST only and
/// need the admin role; a POST must say it is JSON, which a cross-site form cannot.
/// </summary>
internal sealed class DashboardAccess(DashboardCredentials credentials, bool open, bool secure)
{
    public const string CookieName = "shoal_dashboard";
    private const string RoleItem = "shoal.role";

    public DashboardCredentials Credentials { get; } = credentials;

    /// <summary>True when the dashboard listens on loopback only: no credential needed.</summary>
    public bool Open { get; } = open;

    /// <summary>Served over HTTPS (cookies get the Secure flag either way).</summary>
    public bool Secure { get; } = secure;

    /// <summary>Whether every address is loopback.</summary>
    public static bool AllLoopback(IEnumerable<IPAddress> addresses) => addresses.All(IPAddress.IsLoopback);

    /// <summary>The middleware: sets the caller's role, or answers 401.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path is "/health" or "/login")
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var role = Open ? DashboardRole.Admin : Authenticate(context.Request);
        if (role is null)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"shoal\"";
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("401: sign in through the link the scheduler prints (shoal dashboard-link), or send a bearer token.\n").ConfigureAwait(false);
            return;
        }

        context.Items[RoleItem] = role.Value;
        await next(context).ConfigureAwait(false);
    }

    private DashboardRole? Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Credentials.CheckBearer(header[7..].Trim());
        return request.Cookies.TryGetValue(CookieName, out var session) ? Credentials.CheckSession(session) : null;
    }

    /// <summary>The caller's role (set by the middleware).</summary>
    public static DashboardRole RoleOf(HttpContext context) =>
        context.Items.TryGetValue(RoleItem, out var r) && r is DashboardRole role ? role : DashboardRole.Viewer;

    /// <summary>For requests that change the cluster: null when allowed, else the status code refusing it.</summary>
    public static int? RefuseChange(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method)) return StatusCodes.Status405MethodNotAllowed;
        if (RoleOf(context) != DashboardRole.Admin) return StatusCodes.Status403Forbidden;
        var type = context.Request.ContentType ?? "";
        if (!type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)) return StatusCodes.Status415UnsupportedMediaType;
        return null;
    }

    /// <summary>GET /login?code=...: a valid unused code becomes a session cookie and a redirect to /status.</summary>
    public async Task LoginAsync(HttpContext context, TimeSpan sessionLifetime)
    {
        var code = context.Request.Query["code"].ToString();
        var role = code.Length == 0 ? null : Credentials.RedeemCode(code);
        if (role is null)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("401: this sign-in link is invalid, expired or already used; ask for a new one (shoal dashboard-link).\n").ConfigureAwait(false);
            return;
        }

        var session = Credentials.OpenSession(role.Value, sessionLifetime);
        context.Response.Cookies.Append(CookieName, session, new CookieOptions
        {
            HttpOnly = true,
            Secure = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            MaxAge = sessionLifetime,
        });
        // No-store: the code in the address must not be replayed from a cache.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Redirect("/status");
    }
}
