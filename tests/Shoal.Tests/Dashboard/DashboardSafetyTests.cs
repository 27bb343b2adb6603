using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Shoal.Dashboard;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Dashboard;

/// <summary>
/// The dashboard as it is off loopback: every request but /health needs a credential. The
/// cluster listens on loopback here (tests reach nothing else) with the off-loopback rules forced
/// on; <see cref="DashboardAccess.AllLoopback"/> is what turns them on for real addresses.
/// </summary>
public sealed class DashboardSafetyTests
{
    private static Task<LocalCluster> StartClosedAsync(SecurityOptions? security = null) =>
        LocalCluster.StartAsync(new LocalClusterOptions
        {
            Workers = 2,
            ThreadsPerWorker = 1,
            Security = security,
            ConfigureScheduler = o => o with { Dashboard = new DashboardOptions { Address = "127.0.0.1:0", RequireCredentials = true } },
        }).WaitAsync(E2E.Timeout);

    private static string BaseOf(string link) => new Uri(link).GetLeftPart(UriPartial.Authority);

    [Fact]
    public void Only_loopback_addresses_make_an_open_dashboard()
    {
        DashboardAccess.AllLoopback([IPAddress.Loopback, IPAddress.IPv6Loopback]).ShouldBeTrue();
        DashboardAccess.AllLoopback([IPAddress.Any]).ShouldBeFalse();
        DashboardAccess.AllLoopback([IPAddress.Parse("10.1.2.3")]).ShouldBeFalse();
        DashboardAddress.Parse(":8787").ShouldBe(new DashboardAddress(null, 8787));
        DashboardAddress.Parse("0.0.0.0:0").ShouldBe(new DashboardAddress("0.0.0.0", 0));
        DashboardAddress.Parse("[::1]:9000").ShouldBe(new DashboardAddress("::1", 9000));
        Should.Throw<FormatException>(() => DashboardAddress.Parse("8787")).Message.ShouldContain("HOST:PORT");
        Should.Throw<FormatException>(() => DashboardAddress.Parse(":99999")).Message.ShouldContain("0 to 65535");
        Should.Throw<FormatException>(() => DashboardAddress.Parse("host:http")).Message.ShouldContain("port");
    }

    [Fact]
    public async Task Without_a_credential_every_path_but_health_answers_401()
    {
        await using var cluster = await StartClosedAsync();
        using var http = DashboardTestSupport.Http(cluster.Scheduler.DashboardLink!);
        foreach (var path in new[] { "/", "/status", "/workers", "/tasks", "/graph", "/info", "/static/dashboard.js", "/api/v1/status", "/api/v1/workers",
                     "/api/v1/tasks", "/api/v1/graph", "/api/v1/info", "/api/v1/stream", "/api/v1/adaptive_target", "/api/v1/task_stream", "/nowhere", "/login", "/login?code=x" })
        {
            using var response = await http.GetAsync(path);
            response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, path);
        }

        (await http.PostAsync("/api/v1/retire_workers", new StringContent("{\"n\":1}", Encoding.UTF8, "application/json"))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/v1/status");
        wrong.Headers.Authorization = new("Bearer", "shoal-dash.admin.forged");
        (await http.SendAsync(wrong)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await http.GetStringAsync("/health")).ShouldBe("ok\n");
        cluster.Scheduler.Workers().ShouldBe(2);
    }

    [Fact]
    public async Task A_viewer_token_reads_but_cannot_retire_a_worker_and_an_admin_token_can()
    {
        await using var cluster = await StartClosedAsync();
        var credentials = cluster.Scheduler.Dashboard!.Access.Credentials;
        using var http = DashboardTestSupport.Http(cluster.Scheduler.DashboardLink!);

        async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, DashboardRole role, string? json = null)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new("Bearer", credentials.BearerToken(role));
            if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            return await http.SendAsync(request);
        }

        (await SendAsync(HttpMethod.Get, "/api/v1/workers", DashboardRole.Viewer)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SendAsync(HttpMethod.Get, "/status", DashboardRole.Viewer)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SendAsync(HttpMethod.Post, "/api/v1/retire_workers", DashboardRole.Viewer, "{\"n\":1}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        cluster.Scheduler.Workers().ShouldBe(2);
        // Nothing changes the cluster by GET, whatever the role.
        (await SendAsync(HttpMethod.Get, "/api/v1/retire_workers?n=1", DashboardRole.Admin)).StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        cluster.Scheduler.Workers().ShouldBe(2);
        var retired = await SendAsync(HttpMethod.Post, "/api/v1/retire_workers", DashboardRole.Admin, "{\"n\":1}");
        retired.StatusCode.ShouldBe(HttpStatusCode.OK);
        cluster.Scheduler.Workers().ShouldBe(1);
    }

    [Fact]
    public async Task A_one_time_code_opens_one_strict_http_only_secure_session_and_works_once()
    {
        await using var cluster = await StartClosedAsync();
        var link = cluster.DashboardLink!;
        link.ShouldContain("/login?code=");
        using var http = DashboardTestSupport.Http(link);
        var pathAndQuery = new Uri(link).PathAndQuery;

        using var first = await http.GetAsync(pathAndQuery);
        first.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        first.Headers.Location!.ToString().ShouldBe("/status");
        var cookie = first.Headers.GetValues("Set-Cookie").Single();
        cookie.ShouldStartWith(DashboardAccess.CookieName + "=");
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("secure", Case.Insensitive);
        cookie.ShouldContain("samesite=strict", Case.Insensitive);
        var session = cookie.Split(';')[0];

        (await http.GetAsync(pathAndQuery)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a code works once");
        using var withCookie = new HttpRequestMessage(HttpMethod.Get, "/api/v1/status");
        withCookie.Headers.Add("Cookie", session);
        (await http.SendAsync(withCookie)).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var forgedCookie = new HttpRequestMessage(HttpMethod.Get, "/api/v1/status");
        forgedCookie.Headers.Add("Cookie", DashboardAccess.CookieName + "=not-a-session");
        (await http.SendAsync(forgedCookie)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // A code whose role was edited from viewer to admin no longer matches its MAC.
        var viewerCode = cluster.Scheduler.Dashboard!.SignInLink(DashboardRole.Viewer);
        var promoted = new Uri(viewerCode).PathAndQuery.Replace("code=viewer.", "code=admin.", StringComparison.Ordinal);
        (await http.GetAsync(promoted)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_client_holding_the_cluster_token_mints_its_own_sign_in_link()
    {
        await using var cluster = await StartClosedAsync();
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        client.DashboardLink.ShouldNotBeNull().ShouldContain("/login?code=admin.");
        using var http = DashboardTestSupport.Http(client.DashboardLink);
        (await http.GetAsync(new Uri(client.DashboardLink).PathAndQuery)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public void Codes_expire_and_sessions_are_bounded()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddDays(20000));
        var credentials = new DashboardCredentials(new byte[32], clock);
        var code = credentials.NewCode(DashboardRole.Viewer, TimeSpan.FromMinutes(10));
        clock.Now += TimeSpan.FromMinutes(11);
        credentials.RedeemCode(code).ShouldBeNull();
        var fresh = credentials.NewCode(DashboardRole.Viewer, TimeSpan.FromMinutes(10));
        credentials.RedeemCode(fresh).ShouldBe(DashboardRole.Viewer);
        credentials.RedeemCode(fresh).ShouldBeNull();
        credentials.RedeemCode("viewer.1.2").ShouldBeNull();
        credentials.RedeemCode("").ShouldBeNull();

        var first = credentials.OpenSession(DashboardRole.Admin, TimeSpan.FromHours(1));
        for (int i = 0; i < 2000; i++) credentials.OpenSession(DashboardRole.Viewer, TimeSpan.FromHours(2));
        credentials.CheckSession(first).ShouldBeNull("the oldest session made room");
        var last = credentials.OpenSession(DashboardRole.Admin, TimeSpan.FromHours(1));
        credentials.CheckSession(last).ShouldBe(DashboardRole.Admin);
        clock.Now += TimeSpan.FromHours(1.5);
        credentials.CheckSession(last).ShouldBeNull("expired");
    }

    [Fact]
    public async Task With_cluster_tls_the_dashboard_serves_https_with_the_cluster_certificate()
    {
        var security = SecurityOptions.Temporary();
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, Security = security, DashboardAddress = "127.0.0.1:0" })
            .WaitAsync(E2E.Timeout);
        cluster.DashboardLink.ShouldNotBeNull().ShouldStartWith("https://127.0.0.1:");
        X509Certificate2? presented = null;
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(security.CaCertificate!);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return presented is not null && chain.Build(presented);
                },
            },
        });
        (await http.GetStringAsync(BaseOf(cluster.DashboardLink) + "/health")).ShouldBe("ok\n");
        presented.ShouldNotBeNull().Thumbprint.ShouldBe(security.CertificateFor(Protocol.Messages.Role.Scheduler)!.Thumbprint);
        using var plain = new HttpClient();
        await Should.ThrowAsync<HttpRequestException>(() => plain.GetStringAsync(BaseOf(cluster.DashboardLink).Replace("https://", "http://", StringComparison.Ordinal) + "/health"));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}

internal static class SchedulerProbe
{
    /// <summary>Workers the scheduler has registered now.</summary>
    public static int Workers(this Shoal.Scheduling.SchedulerServer scheduler) => scheduler.WorkerCount;
}
